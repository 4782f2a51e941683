package io.mlh.jobs.gallery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.tables.NeighbourTable;
import io.mlh.jobs.tables.ShardTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * What the job tests check of a gallery: the section read back from a page as one line per shown
 * neighbour, the same lines from a brute-force ranking of code rows, and a shard table of small images.
 */
public final class GalleryFixture {
    private static final Pattern SECTION =
            Pattern.compile("<section id=\"gallery\" data-queries=\"(\\d+)\" data-images=\"(\\d+)\"");
    private static final Pattern ROW = Pattern.compile("<div class=\"g-row\" data-query=\"(-?\\d+)\">(.*?)</div>\n");
    private static final Pattern NEIGHBOUR = Pattern.compile("<figure class=\"g-n [^\"]*\" data-rank=\"(\\d+)\""
            + " data-id=\"(-?\\d+)\" data-distance=\"(\\d+)\" data-relevant=\"(true|false)\"(?: data-score=\"([^\"]+)\")?>"
            + "(.*?)</figure>");

    /** The gallery section of a page. */
    public final int queries, images;
    /**
     * "query #rank id d=distance ✓|✗", then " s=score" on a re-ranked page, in page order; a neighbour
     * without a thumbnail ends in " no image".
     */
    public final List<String> lines = new ArrayList<>();
    /** The shown queries' ids, in page order. */
    public final List<Long> shown = new ArrayList<>();
    /** Shown queries without a thumbnail. */
    public final List<Long> queriesWithoutImage = new ArrayList<>();

    private GalleryFixture(String html) {
        Matcher s = SECTION.matcher(html);
        assertTrue(s.find(), "no gallery section in " + html);
        queries = Integer.parseInt(s.group(1));
        images = Integer.parseInt(s.group(2));
        Matcher row = ROW.matcher(html);
        while (row.find()) {
            long query = Long.parseLong(row.group(1));
            String body = row.group(2);
            shown.add(query);
            if (!body.startsWith("<figure class=\"g-query\"><img ")) queriesWithoutImage.add(query);
            Matcher n = NEIGHBOUR.matcher(body);
            while (n.find()) {
                String mark = n.group(4).equals("true") ? "✓" : "✗";
                assertTrue(n.group(6).contains(mark), "the mark is not shown: " + n.group());
                lines.add(line(
                                query,
                                Integer.parseInt(n.group(1)),
                                Long.parseLong(n.group(2)),
                                Integer.parseInt(n.group(3)),
                                n.group(4).equals("true"))
                        + (n.group(5) == null ? "" : " s=" + n.group(5))
                        + (n.group(6).startsWith("<img ") ? "" : " no image"));
            }
        }
    }

    public static GalleryFixture parse(String html) {
        return new GalleryFixture(html);
    }

    /**
     * The lines a gallery of {@code count} queries shows for code rows (id, split, labels, bits, code): queries evenly spaced by id, each one's first {@link Gallery#NEIGHBOURS} database rows
     * by (distance, id), marked by shared positive classes.
     */
    public static List<String> bruteForce(List<Row> rows, String querySplit, String databaseSplit, int count) {
        List<Row> queries = new ArrayList<>(), database = new ArrayList<>();
        for (Row r : rows) {
            if (r.getString(1).equals(querySplit)) queries.add(r);
            if (r.getString(1).equals(databaseSplit)) database.add(r);
        }
        queries.sort(Comparator.comparingLong(r -> r.getLong(0)));
        List<String> lines = new ArrayList<>();
        int n = Math.min(count, queries.size());
        for (int i = 0; i < n; i++) {
            Row q = queries.get((int) ((long) i * queries.size() / n));
            List<Row> ranked = new ArrayList<>(database);
            ranked.sort(Comparator.<Row>comparingInt(r -> distance(q, r)).thenComparingLong(r -> r.getLong(0)));
            for (int rank = 1; rank <= Math.min(Gallery.NEIGHBOURS, ranked.size()); rank++) {
                Row r = ranked.get(rank - 1);
                lines.add(line(
                        q.getLong(0), rank, r.getLong(0), distance(q, r), Gallery.relevant(ints(q, 2), ints(r, 2))));
            }
        }
        return lines;
    }

    /** A committed shard table at {@code path} of one 8 x 8 grey raw image per id, its grey level drawn from the id. */
    public static void writeShards(SparkSession spark, String path, List<Long> ids) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (long id : ids) {
            byte[] pixels = new byte[64];
            for (int p = 0; p < pixels.length; p++) pixels[p] = (byte) (id * 37 + p);
            rows.add(RowFactory.create(id, "database", false, new int[] {1}, pixels, "raw", 8, 8, 1, "fixture#" + id));
        }
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop, path, false);
        spark.createDataFrame(rows, ShardTable.SCHEMA)
                .repartition(2)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(hadoop, staging, path);
    }

    private static String line(long query, int rank, long id, int distance, boolean relevant) {
        return query + " #" + rank + " " + id + " d=" + distance + " " + (relevant ? "✓" : "✗");
    }

    /**
     * The lines of the neighbour rows ({@link NeighbourTable}'s columns) of {@code queries}, ranks up to
     * {@link Gallery#NEIGHBOURS}, in query order then rank order, marked by their labels, with their
     * scores when the rows have them.
     */
    public static List<String> ofTable(List<Row> neighbourRows, List<Long> queries) {
        List<Row> rows = new ArrayList<>();
        for (Row r : neighbourRows)
            if (queries.contains(r.getLong(0)) && r.getInt(1) <= Gallery.NEIGHBOURS) rows.add(r);
        rows.sort(
                Comparator.<Row>comparingInt(r -> queries.indexOf(r.getLong(0))).thenComparingInt(r -> r.getInt(1)));
        List<String> lines = new ArrayList<>();
        for (Row r : rows) {
            boolean scored =
                    r.schema() != null && Arrays.asList(r.schema().fieldNames()).contains("score");
            lines.add(
                    line(r.getLong(0), r.getInt(1), r.getLong(2), r.getInt(3), Gallery.relevant(ints(r, 4), ints(r, 5)))
                            + (scored ? " s=" + r.getDouble(r.fieldIndex("score")) : ""));
        }
        return lines;
    }

    /** Column {@code i}: a Java array in rows a test made, a Scala sequence in rows read back. */
    private static int[] ints(Row r, int i) {
        if (r.get(i) instanceof int[]) return (int[]) r.get(i);
        List<Integer> v = r.getList(i);
        int[] out = new int[v.size()];
        for (int c = 0; c < out.length; c++) out[c] = v.get(c);
        return out;
    }

    private static long[] longs(Row r, int i) {
        if (r.get(i) instanceof long[]) return (long[]) r.get(i);
        List<Long> v = r.getList(i);
        long[] out = new long[v.size()];
        for (int c = 0; c < out.length; c++) out[c] = v.get(c);
        return out;
    }

    private static int distance(Row a, Row b) {
        long[] x = longs(a, 4), y = longs(b, 4);
        int d = 0;
        for (int w = 0; w < x.length; w++) d += Long.bitCount(x[w] ^ y[w]);
        return d;
    }
}
