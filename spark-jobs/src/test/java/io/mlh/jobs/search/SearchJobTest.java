package io.mlh.jobs.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.config.ConfigError;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.gallery.Gallery;
import io.mlh.jobs.gallery.GalleryFixture;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.CodeTableFixture;
import io.mlh.jobs.tables.NeighbourTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search job on local Spark against a brute-force ranking (ascending distance, ties by ascending
 * id) of the same codes: random 64-bit codes over several partitions and query blocks, 8-bit codes
 * where nearly every distance ties across partitions, more partitions than rows (most of them empty),
 * k above the database size, a radius; then each bad input refused with nothing written.
 */
class SearchJobTest {
    private static final int CLASSES = CodeTableFixture.CLASSES;

    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = Spark.start("search-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void randomCodesOverPartitionsAndBlocksEqualBruteForce() throws IOException {
        List<Row> rows = codes(3000, 64, 1, 0.03);
        Path table = table("random", rows, null);
        assertSearchEqualsBruteForce(
                table, rows, 10, -1, "jobs.search.partitions=7", "jobs.search.query-block-memory=8K");
    }

    @Test
    void tiesAcrossPartitionsBreakByAscendingId() throws IOException {
        List<Row> rows = codes(2000, 8, 2, 0.05); // 256 codes for 2,000 rows: every distance ties many times
        Path table = table("ties", rows, null);
        assertSearchEqualsBruteForce(table, rows, 25, -1, "jobs.search.partitions=37");
    }

    @Test
    void emptyPartitionsAndAKAboveTheDatabaseSize() throws IOException {
        List<Row> rows = codes(40, 16, 3, 0.25);
        Path table = table("tiny", rows, null);
        assertSearchEqualsBruteForce(table, rows, 50, -1, "jobs.search.partitions=64");
    }

    @Test
    void aRadiusKeepsOnlyTheNeighboursWithinIt() throws IOException {
        List<Row> rows = codes(1500, 16, 4, 0.05);
        Path table = table("radius", rows, null);
        assertSearchEqualsBruteForce(table, rows, 20, 3, "jobs.search.partitions=5", "jobs.search.max-distance=3");
    }

    /**
     * Re-ranked: each query's first R Hamming neighbours (exact, ties by id) reordered by the cosine of
     * the int8 codes (from a pool of 5: scores tie, broken by id), over 7 partitions; R above and below k
     * (the neighbours after R keep their Hamming order). The table carries each neighbour's score. A table
     * without the int8 codes asked to re-rank is refused naming the encode key, with nothing written.
     */
    @Test
    void refinedNeighboursEqualBruteForce() throws IOException {
        List<Row> rows = CodeTableFixture.withInt8(codes(1500, 16, 9, 0.03), 5, 1);
        Path table = table("refined", rows, null);
        for (int candidates : new int[] {40, 4}) {
            Path out = dir.resolve("refined-" + candidates);
            long written = search(
                    table,
                    table,
                    out,
                    "jobs.search.k=10",
                    "jobs.search.partitions=7",
                    "jobs.rerank.mode=refine",
                    "jobs.rerank.candidates=" + candidates);
            List<String> expected = new ArrayList<>();
            for (Row q : rows) {
                if (!q.getString(1).equals("query")) continue;
                List<Row> database = hammingOrder(rows, q);
                database.subList(0, candidates)
                        .sort(Comparator.<Row>comparingDouble(r -> -CodeTableFixture.cosine(q, r))
                                .thenComparingLong(r -> r.getLong(0)));
                for (int rank = 1; rank <= 10; rank++) {
                    Row r = database.get(rank - 1);
                    expected.add(q.getLong(0) + " #" + rank + " " + r.getLong(0) + " d=" + distance(q, r) + " s="
                            + CodeTableFixture.cosine(q, r));
                }
            }
            List<String> actual = new ArrayList<>();
            for (Row r : spark.read()
                    .parquet(out.toString())
                    .orderBy("query_id", "rank")
                    .collectAsList())
                actual.add(r.getLong(0) + " #" + r.getInt(1) + " " + r.getLong(2) + " d=" + r.getInt(3) + " s="
                        + r.getDouble(r.fieldIndex(NeighbourTable.SCORE)));
            assertEquals(expected, actual, "R = " + candidates);
            assertEquals(expected.size(), written);
        }
        Path plain = table("refined-plain", codes(200, 16, 9, 0.1), null);
        assertRefused(
                "refine-without-int8",
                plain,
                plain,
                "has no column continuous_int8, which mlh.jobs.rerank.mode = refine compares: encode it with"
                        + " mlh.jobs.encode.continuous-int8 = true",
                "jobs.rerank.mode=refine");
    }

    /**
     * {@code jobs.search.gallery-queries}: the committed table holds {@value Gallery#PAGE}, listed in its
     * manifest and skipped by Parquet readers, showing the sampled queries' first 10 of their k neighbours
     * as the table has them, marked by their labels, with thumbnails from the shard table (one image missing).
     */
    @Test
    void aGalleryPageIsCommittedInsideTheNeighboursTable() throws IOException {
        List<Row> rows = codes(800, 16, 8, 0.05);
        Path table = table("gallery", rows, null), shards = dir.resolve("gallery-shards");
        List<Long> ids = new ArrayList<>();
        for (Row r : rows) ids.add(r.getLong(0));
        List<String> expected = GalleryFixture.bruteForce(rows, "query", "database", 4);
        long missing = Long.parseLong(expected.get(3).split(" ")[2]); // the first query's 4th neighbour
        ids.remove(missing);
        GalleryFixture.writeShards(spark, shards.toString(), ids);
        Path out = dir.resolve("gallery-neighbours");
        long written = search(
                table,
                table,
                out,
                "jobs.search.k=15",
                "jobs.search.partitions=3",
                "jobs.search.gallery-queries=4",
                "paths.shards=" + shards);

        Configuration hadoop = new Configuration();
        CommittedOutput.requireCommitted(hadoop, out.toString());
        assertTrue(
                io.mlh.jobs.common.Manifest.read(hadoop, new org.apache.hadoop.fs.Path(out.toString()))
                        .entries()
                        .containsKey(Gallery.PAGE),
                "the manifest does not list the gallery");
        assertEquals(written, spark.read().parquet(out.toString()).count());
        GalleryFixture g = GalleryFixture.parse(
                new String(Files.readAllBytes(out.resolve(Gallery.PAGE)), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(4, g.queries);
        assertEquals(4 * 11 - 1, g.images);
        List<String> lines = new ArrayList<>(expected);
        lines.set(3, lines.get(3) + " no image");
        assertEquals(lines, g.lines);
        assertTrue(g.queriesWithoutImage.isEmpty());
    }

    @Test
    void codesOfOtherCentresOrBitsAreRefused() throws IOException {
        List<Row> rows = codes(100, 16, 5, 0.1);
        Path a = table("centres-a", rows, new CodeTable.Provenance(fingerprint('a'), "centre"));
        Path b = table("centres-b", rows, new CodeTable.Provenance(fingerprint('b'), "centre"));
        Path pairwise = table("branch", rows, new CodeTable.Provenance(fingerprint('a'), "pairwise"));
        Path wide = table("wide", codes(100, 32, 6, 0.1), null);
        assertRefused("centres", a, b, "were encoded towards different hash centres");
        assertRefused(
                "branch",
                a,
                pairwise,
                "centre-branch codes and database code table " + pairwise + " pairwise-branch codes");
        assertRefused("bits", wide, a, "has 32-bit codes, database code table " + a + " 16-bit codes");
    }

    @Test
    void badInputsAreRefusedAndWriteNothing() throws IOException {
        List<Row> rows = codes(100, 16, 7, 0.1);
        Path table = table("bad", rows, null);
        assertRefused("missing", table, dir.resolve("nowhere"), "nowhere");
        Path uncommitted = dir.resolve("uncommitted");
        spark.createDataFrame(rows, CodeTable.REQUIRED).write().parquet(uncommitted.toString());
        assertRefused("uncommitted", table, uncommitted, "cannot be read");
        assertRefused("no-queries", table, table, "has no rows with split = train", "jobs.search.query-split=train");
        List<Row> twice = new ArrayList<>(rows);
        long id = rows.get(3).getLong(0);
        twice.add(RowFactory.create(id, "database", new int[CLASSES], 16, new long[] {3}));
        assertRefused(
                "duplicates",
                table,
                table("duplicates", twice, null),
                "has duplicate ids: " + id + " appears more than once");
        // the copy in a file of its own: a partition of its own, so only the check across partitions can see it
        Path acrossFiles = dir.resolve("duplicates-across-files");
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(new Configuration(), acrossFiles.toString(), false);
        StructType schema = CodeTable.REQUIRED;
        spark.createDataFrame(rows, schema)
                .coalesce(1)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        spark.createDataFrame(twice.subList(rows.size(), twice.size()), schema)
                .coalesce(1)
                .write()
                .mode(SaveMode.Append)
                .parquet(staging.toString());
        CommittedOutput.commit(new Configuration(), staging, acrossFiles.toString());
        assertEquals(2, spark.read().parquet(acrossFiles.toString()).rdd().getNumPartitions());
        assertRefused("duplicates-across", table, acrossFiles, "has duplicate ids: " + id + " appears more than once");
        List<Row> mixed = new ArrayList<>(rows);
        mixed.set(50, RowFactory.create(rows.get(50).getLong(0), "database", new int[CLASSES], 8, new long[] {3}));
        assertRefused(
                "mixed-bits",
                table,
                table("mixed-bits", mixed, null),
                "mixes bit lengths: id " + rows.get(50).getLong(0) + " has 8-bit codes, other rows 16");
        ConfigError k =
                assertThrows(ConfigError.class, () -> search(table, table, dir.resolve("k0"), "jobs.search.k=0"));
        assertTrue(k.getMessage().contains("mlh.jobs.search.k"), k.getMessage());
        assertFalse(Files.exists(dir.resolve("k0")));
    }

    private static List<Row> codes(int n, int bits, long seed, double queries) {
        return CodeTableFixture.codes(n, bits, seed, queries);
    }

    private static Path table(String name, List<Row> rows, CodeTable.Provenance provenance) throws IOException {
        return CodeTableFixture.commit(spark, dir.resolve(name), rows, provenance);
    }

    private static long search(Path queries, Path database, Path out, String... more) throws IOException {
        List<String> args = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=local[2]",
                "jobs.search.query-codes=" + queries,
                "jobs.search.database-codes=" + database,
                "paths.neighbours=" + out));
        args.addAll(Arrays.asList(more));
        return SearchJob.run(spark, JobSettings.fromArgs(args.toArray(new String[0])));
    }

    private static void assertSearchEqualsBruteForce(Path table, List<Row> rows, int k, int radius, String... more)
            throws IOException {
        Path out = dir.resolve(table.getFileName() + "-neighbours");
        List<String> args = new ArrayList<>(Arrays.asList(more));
        args.add("jobs.search.k=" + k);
        long written = search(table, table, out, args.toArray(new String[0]));
        CommittedOutput.requireCommitted(new Configuration(), out.toString());

        List<String> expected = new ArrayList<>();
        for (Row q : rows) {
            if (!q.getString(1).equals("query")) continue;
            List<Row> database = hammingOrder(rows, q);
            int rank = 0;
            for (Row r : database) {
                if (rank == k || (radius >= 0 && distance(q, r) > radius)) break;
                expected.add(line(
                        q.getLong(0),
                        ++rank,
                        r.getLong(0),
                        distance(q, r),
                        Arrays.toString((int[]) q.get(2)),
                        Arrays.toString((int[]) r.get(2))));
            }
        }
        List<String> actual = new ArrayList<>();
        for (Row r :
                spark.read().parquet(out.toString()).orderBy("query_id", "rank").collectAsList())
            actual.add(line(
                    r.getLong(0),
                    r.getInt(1),
                    r.getLong(2),
                    r.getInt(3),
                    r.getList(4).toString(),
                    r.getList(5).toString()));
        assertEquals(expected, actual);
        assertEquals(expected.size(), written);
    }

    /** The database rows in the brute-force Hamming order of query {@code q}: distance, then id. */
    private static List<Row> hammingOrder(List<Row> rows, Row q) {
        List<Row> database = new ArrayList<>();
        for (Row r : rows) if (r.getString(1).equals("database")) database.add(r);
        database.sort(Comparator.<Row>comparingInt(r -> distance(q, r)).thenComparingLong(r -> r.getLong(0)));
        return database;
    }

    private static int distance(Row a, Row b) {
        return CodeTableFixture.distance(a, b);
    }

    private static String fingerprint(char c) {
        char[] hex = new char[64];
        Arrays.fill(hex, c);
        return new String(hex);
    }

    private static String line(long query, int rank, long id, int distance, String queryLabels, String labels) {
        return query + " #" + rank + " " + id + " d=" + distance + " " + queryLabels + " " + labels;
    }

    private static void assertRefused(String name, Path queries, Path database, String expected, String... more) {
        Path out = dir.resolve("refused-" + name);
        Exception e = assertThrows(Exception.class, () -> search(queries, database, out, more));
        assertTrue(e.getMessage() != null && e.getMessage().contains(expected), name + ": " + e);
        assertFalse(Files.exists(out), name + ": an output was written");
    }
}
