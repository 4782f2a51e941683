package io.mlh.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.eval.RetrievalMetrics;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.gallery.GalleryFixture;
import io.mlh.jobs.tables.CodeTable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluate job on local Spark against the single-JVM reference {@link RetrievalMetrics}: random
 * clustered codes with many distance ties, multi-hot labels (some rows with none), ids shuffled across
 * several Parquet files so that partition order and id order disagree; then the report and every refusal.
 */
class EvaluateJobTest {
    private static final int[] NS = {1, 10, 100, 1000};
    private static final StructType SCHEMA = CodeTable.REQUIRED;

    private static SparkSession spark;
    private static Level sparkLogLevel;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        sparkLogLevel = Logger.getLogger("org.apache.spark").getLevel();
        Logger.getLogger("org.apache.spark").setLevel(Level.WARN); // a run logs thousands of INFO lines otherwise
        spark = Spark.start("evaluate-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
        spark.conf()
                .set("spark.sql.shuffle.partitions", "4"); // the checks' aggregation; 200 tasks would only cost time
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        Logger.getLogger("org.apache.spark").setLevel(sparkLogLevel);
    }

    @Test
    void oneTableMatchesReferenceAtEveryCut() throws IOException {
        // 16 bits: distances crowd into a few values, so ties (broken by id) decide most ranks
        List<Row> rows = randomRows(new Random(7), 40, 700, 60, 16, 6, 0.2);
        String codes = write("codes16", rows, 5);
        for (int k : new int[] {0, 1, 37, 100000}) {
            String report = dir.resolve("report16-" + k).toString();
            EvaluateJob.Result r = EvaluateJob.run(spark, settings(codes, codes, report, "jobs.evaluate.map-at=" + k));
            assertMatchesReference(rows, rows, k, r);
            assertEquals(40, r.queries);
            assertEquals(700, r.database);
        }
    }

    @Test
    void separateTablesOfTwoWordCodes() throws IOException {
        // 72 bits span two words; each table also holds rows of the other split, which must be ignored
        List<Row> all = randomRows(new Random(11), 50, 900, 30, 72, 9, 0.015);
        List<Row> queryTable = new ArrayList<>(), databaseTable = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean query = all.get(i).getString(1).equals("query");
            (query || i % 10 == 0 ? queryTable : databaseTable).add(all.get(i));
        }
        String q = write("q72", queryTable, 2), db = write("db72", databaseTable, 6);
        for (int k : new int[] {0, 25}) {
            EvaluateJob.Result r = EvaluateJob.run(
                    spark, settings(q, db, dir.resolve("report72-" + k).toString(), "jobs.evaluate.map-at=" + k));
            assertMatchesReference(queryTable, databaseTable, k, r);
            assertTrue(
                    r.precisionWithinRadius2 > 0.2,
                    "clustered codes must find neighbours within radius 2: " + r.precisionWithinRadius2);
        }
    }

    @Test
    void sameFiguresForAnyNumberOfDatabasePartitions() throws IOException {
        // one partition, and more partitions than the rows fill evenly (tied bands span several of them)
        List<Row> rows = randomRows(new Random(13), 30, 400, 0, 16, 5, 0.2);
        String codes = write("codes-partitions", rows, 3);
        for (int partitions : new int[] {1, 16}) {
            String report = dir.resolve("report-partitions-" + partitions).toString();
            EvaluateJob.Result r = EvaluateJob.run(
                    spark,
                    settings(
                            codes, codes, report, "jobs.evaluate.map-at=37", "jobs.evaluate.partitions=" + partitions));
            assertMatchesReference(rows, rows, 37, r);
        }
    }

    /**
     * Re-ranked by the int8 continuous codes (drawn from a small pool: cosines tie, broken by id) over
     * several database partitions: the reference's figures; metrics.json names the re-ranking. A table
     * without continuous_int8 asked to re-rank is refused naming the encode key, and no report is written.
     */
    @Test
    void refinedRankingMatchesReferenceAndATableWithoutInt8CodesIsRefused() throws IOException {
        List<Row> rows = randomRows(new Random(17), 30, 500, 0, 16, 5, 0.2);
        List<Row> withInt8 = new ArrayList<>();
        Random draw = new Random(3);
        byte[][] pool = new byte[7][16];
        for (byte[] code : pool) draw.nextBytes(code);
        for (Row r : rows) {
            Object[] v = new Object[6];
            for (int c = 0; c < 5; c++) v[c] = r.get(c);
            v[5] = pool[Math.floorMod(Long.hashCode(r.getLong(0) * 31), pool.length)];
            withInt8.add(RowFactory.create(v));
        }
        String codes =
                write("codes-int8", withInt8, 4, CodeTable.schema(EnumSet.of(CodeTable.Extra.CONTINUOUS_INT8), null));
        for (int candidates : new int[] {1, 37, 500}) {
            String report = dir.resolve("report-refine-" + candidates).toString();
            EvaluateJob.Result r = EvaluateJob.run(
                    spark,
                    settings(
                            codes,
                            codes,
                            report,
                            "jobs.evaluate.map-at=20",
                            "jobs.evaluate.partitions=5",
                            "jobs.rerank.mode=refine",
                            "jobs.rerank.candidates=" + candidates));
            assertMatchesReference(withInt8, withInt8, 20, Refinement.top(candidates), r);
            assertEquals(
                    "refine " + candidates,
                    new ObjectMapper()
                            .readTree(new File(report, EvaluateJob.METRICS))
                            .get("rerank")
                            .asText());
        }

        String plain = write("codes-no-int8", rows, 2);
        String report = dir.resolve("report-refused").toString();
        assertRefused(
                IllegalArgumentException.class,
                settings(plain, plain, report, "jobs.rerank.mode=refine"),
                "code table " + plain + " has no column continuous_int8",
                "mlh.jobs.rerank.mode = refine",
                "mlh.jobs.encode.continuous-int8 = true");
        assertFalse(new File(report).exists(), "a refused evaluation must write nothing");
    }

    @Test
    void reportIsCommittedAndNotOverwrittenUnlessAsked() throws IOException {
        List<Row> rows = randomRows(new Random(3), 10, 120, 0, 24, 4, 0.1);
        String codes = write("codes-report", rows, 3),
                report = dir.resolve("report").toString();
        EvaluateJob.Result r = EvaluateJob.run(spark, settings(codes, codes, report, "jobs.evaluate.map-at=50"));
        assertTrue(Files.exists(dir.resolve("report").resolve(CommittedOutput.MARKER)));
        JsonNode json = new ObjectMapper()
                .readTree(dir.resolve("report").resolve(EvaluateJob.METRICS).toFile());
        assertEquals(24, json.get("bits").asInt());
        assertEquals(10, json.get("queries").asInt());
        assertEquals(120, json.get("database").asInt());
        assertEquals(50, json.get("top_k").asInt());
        assertEquals(r.map, json.get("map").asDouble(), 0.0);
        assertEquals(
                r.precisionWithinRadius2, json.get("precision_within_radius_2").asDouble(), 0.0);
        for (int j = 0; j < NS.length; j++)
            assertEquals(
                    r.precisionAtN[j],
                    json.get("precision_at_n").get(Integer.toString(NS[j])).asDouble(),
                    0.0);
        assertEquals(25, json.get("pr_curve").size());
        JsonNode r3 = json.get("pr_curve").get(3);
        assertEquals(3, r3.get("radius").asInt());
        assertEquals(r.precisionByRadius[3], r3.get("precision").asDouble(), 0.0);
        assertEquals(r.recallByRadius[3], r3.get("recall").asDouble(), 0.0);
        assertEquals(codes, json.get("query_codes").asText());
        assertEquals(codes, json.get("database_codes").asText());
        assertTrue(r.toString().contains("mAP@50"), r.toString());

        IOException exists =
                assertThrows(IOException.class, () -> EvaluateJob.run(spark, settings(codes, codes, report)));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        EvaluateJob.Result again = EvaluateJob.run(
                spark, settings(codes, codes, report, "jobs.evaluate.map-at=50", "jobs.overwrite=true"));
        assertEquals(r.map, again.map, 0.0);
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertFalse(
                    left.anyMatch(p -> p.getFileName().toString().startsWith(".report.")),
                    "staging or replaced directories left behind");
        }
    }

    /**
     * The report's gallery: the sampled queries' exact top 10 (ties by id, across partitions), marked by
     * their labels, every image a thumbnail from the shard table; without a shard table, placeholders and
     * the reason, and the evaluation stands.
     */
    @Test
    void reportGalleryShowsTheExactTopTenOfEvenlySpacedQueries() throws IOException {
        List<Row> rows = randomRows(new Random(17), 30, 300, 0, 16, 5, 0.2);
        String codes = write("codes-gallery", rows, 3),
                shards = dir.resolve("shards-gallery").toString();
        List<Long> ids = new ArrayList<>();
        for (Row r : rows) ids.add(r.getLong(0));
        GalleryFixture.writeShards(spark, shards, ids);
        List<String> expected = GalleryFixture.bruteForce(rows, "query", "database", 6);
        assertEquals(60, expected.size());

        String report = dir.resolve("report-gallery").toString();
        EvaluateJob.run(
                spark,
                settings(
                        codes,
                        codes,
                        report,
                        "paths.shards=" + shards,
                        "jobs.evaluate.gallery-queries=6",
                        "jobs.evaluate.partitions=4"));
        GalleryFixture g = GalleryFixture.parse(page(report));
        assertEquals(6, g.queries);
        assertEquals(6 * 11, g.images, "every query and neighbour shown as a thumbnail");
        assertEquals(expected, g.lines);
        assertTrue(g.queriesWithoutImage.isEmpty(), g.queriesWithoutImage.toString());

        String bare = dir.resolve("report-gallery-no-shards").toString();
        EvaluateJob.run(
                spark,
                settings(
                        codes,
                        codes,
                        bare,
                        "paths.shards=" + dir.resolve("no-shards"),
                        "jobs.evaluate.gallery-queries=6"));
        String html = page(bare);
        GalleryFixture without = GalleryFixture.parse(html);
        assertEquals(0, without.images);
        List<String> placeholders = new ArrayList<>();
        for (String line : expected) placeholders.add(line + " no image");
        assertEquals(placeholders, without.lines);
        assertTrue(html.contains("the shard table cannot be read"), html);

        String off = dir.resolve("report-gallery-off").toString();
        EvaluateJob.run(spark, settings(codes, codes, off, "jobs.evaluate.gallery-queries=0"));
        assertFalse(page(off).contains("id=\"gallery\""));
    }

    private static String page(String report) throws IOException {
        return new String(
                Files.readAllBytes(java.nio.file.Paths.get(report, HtmlReport.PAGE)),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void refusesBadInputsNamingTheTable() throws IOException {
        Random rnd = new Random(5);
        List<Row> good = randomRows(rnd, 5, 30, 0, 16, 3, 0.1);
        String ok = write("ok", good, 1), report = dir.resolve("never").toString();

        String uncommitted = dir.resolve("uncommitted").toString();
        spark.createDataFrame(good, SCHEMA).write().parquet(uncommitted);
        assertRefused(
                IOException.class,
                settings(uncommitted, ok, report),
                "query code table " + uncommitted,
                CommittedOutput.MARKER);

        String bits24 = write("bits24", randomRows(rnd, 5, 30, 0, 24, 3, 0.1), 1);
        assertRefused(
                IllegalArgumentException.class,
                settings(ok, bits24, report),
                "database code table " + bits24,
                "24-bit",
                "16-bit");

        List<Row> unlabelled = new ArrayList<>();
        for (Row r : good) unlabelled.add(RowFactory.create(r.get(0), r.get(1), r.get(3), r.get(4)));
        String noLabels = write(
                "no-labels",
                unlabelled,
                SCHEMA.apply("id"),
                SCHEMA.apply("split"),
                SCHEMA.apply("bits"),
                SCHEMA.apply("code"));
        assertRefused(
                IllegalArgumentException.class,
                settings(noLabels, ok, report),
                "query code table " + noLabels,
                "no column labels");

        List<Row> intCodes = new ArrayList<>();
        for (Row r : good) intCodes.add(RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), new int[] {1}));
        String wrongType = write(
                "int-codes",
                intCodes,
                SCHEMA.apply("id"),
                SCHEMA.apply("split"),
                SCHEMA.apply("labels"),
                SCHEMA.apply("bits"),
                DataTypes.createStructField("code", DataTypes.createArrayType(DataTypes.IntegerType), false));
        assertRefused(
                IllegalArgumentException.class,
                settings(ok, wrongType, report),
                "database code table " + wrongType,
                "code is array<int>");

        List<Row> mixed = new ArrayList<>(good);
        mixed.set(
                7,
                RowFactory.create(
                        mixed.get(7).get(0), mixed.get(7).get(1), mixed.get(7).get(2), 8, new long[] {3}));
        String mixedBits = write("mixed-bits", mixed, 2);
        String mixedSplit = mixed.get(7).getString(1);
        assertRefused(
                IllegalArgumentException.class,
                settings(mixedBits, mixedBits, report),
                mixedSplit + " code table " + mixedBits,
                "mixes bit lengths");

        List<Row> databaseOnly = new ArrayList<>();
        for (Row r : good) if (!r.getString(1).equals("query")) databaseOnly.add(r);
        String noQueries = write("no-queries", databaseOnly, 1);
        assertRefused(
                IllegalArgumentException.class,
                settings(noQueries, ok, report),
                "query code table " + noQueries,
                "no rows with split = query");

        String fourClasses = write("four-classes", randomRows(rnd, 5, 30, 0, 16, 4, 0.1), 1);
        assertRefused(
                IllegalArgumentException.class,
                settings(ok, fourClasses, report),
                "database code table " + fourClasses,
                "4 classes");

        List<Row> twice = new ArrayList<>(good);
        Row d = null;
        for (Row r : good) if (r.getString(1).equals("database")) d = r;
        twice.add(RowFactory.create(d.get(0), d.get(1), d.get(2), d.get(3), d.get(4)));
        String duplicate = write("duplicate", twice, 1);
        assertRefused(
                IllegalArgumentException.class,
                settings(ok, duplicate, report),
                "database code table " + duplicate,
                "duplicate ids");

        assertFalse(Files.exists(dir.resolve("never")), "a refused run must not leave a report");
    }

    // ---------------------------------------------------------------------------------------------

    private static void assertMatchesReference(
            List<Row> queryRows, List<Row> databaseRows, int k, EvaluateJob.Result r) {
        assertMatchesReference(queryRows, databaseRows, k, Refinement.NONE, r);
    }

    /** The same with re-ranking by the int8 codes of column 5 of the rows. */
    private static void assertMatchesReference(
            List<Row> queryRows, List<Row> databaseRows, int k, Refinement refine, EvaluateJob.Result r) {
        List<Row> q = split(queryRows, "query"), db = split(databaseRows, "database");
        int bits = q.get(0).getInt(3);
        RetrievalMetrics.Report want = new RetrievalMetrics(codes(q, bits), labels(q), codes(db, bits), labels(db))
                .evaluate(k, NS, refine, int8(q, bits, refine), int8(db, bits, refine));
        String at = "at top-k " + k;
        assertEquals(bits, r.bits);
        assertEquals(k, r.mapAt);
        assertEquals(want.map, r.map, 1e-12, "mAP " + at);
        assertEquals(want.precisionWithinRadius(2), r.precisionWithinRadius2, 1e-12, "P@H<=2 " + at);
        assertArrayEquals(NS, r.precisionAt);
        assertArrayEquals(want.precisionAtNValues, r.precisionAtN, 1e-12, "precision@N " + at);
        assertArrayEquals(want.precisionByRadius, r.precisionByRadius, 1e-12, "precision by radius " + at);
        assertArrayEquals(want.recallByRadius, r.recallByRadius, 1e-12, "recall by radius " + at);
        assertTrue(want.map > 0 && want.map < 1, "a meaningful mAP: " + want.map);
    }

    /** The rows of one split in reference order: id ascending, i.e. by database position. */
    private static List<Row> split(List<Row> rows, String split) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) if (r.getString(1).equals(split)) out.add(r);
        out.sort(Comparator.comparingLong(r -> r.getLong(0)));
        return out;
    }

    private static PackedCodes codes(List<Row> rows, int bits) {
        int w = PackedCodes.wordsFor(bits);
        long[] words = new long[rows.size() * w];
        for (int i = 0; i < rows.size(); i++)
            System.arraycopy((long[]) rows.get(i).get(4), 0, words, i * w, w);
        return PackedCodes.of(words, rows.size(), bits);
    }

    private static Int8Codes int8(List<Row> rows, int bits, Refinement refine) {
        if (!refine.reranks()) return null;
        byte[] all = new byte[rows.size() * bits];
        for (int i = 0; i < rows.size(); i++)
            System.arraycopy((byte[]) rows.get(i).get(5), 0, all, i * bits, bits);
        return Int8Codes.of(all, rows.size(), bits);
    }

    private static float[][] labels(List<Row> rows) {
        float[][] y = new float[rows.size()][];
        for (int i = 0; i < y.length; i++) {
            int[] l = (int[]) rows.get(i).get(2);
            y[i] = new float[l.length];
            for (int c = 0; c < l.length; c++) y[i][c] = l[c];
        }
        return y;
    }

    /**
     * Code-table rows with unique ids (negative ones too) in shuffled order: labelled rows get the
     * code of their first class's centre with each bit flipped with probability {@code flip}; about
     * one row in six has no label (relevant to nothing) and a random code.
     */
    static List<Row> randomRows(Random rnd, int queries, int database, int train, int bits, int classes, double flip) {
        boolean[][] centres = new boolean[classes][bits];
        for (boolean[] c : centres) for (int b = 0; b < bits; b++) c[b] = rnd.nextBoolean();
        Set<Long> ids = new HashSet<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < queries + database + train; i++) {
            long id;
            do {
                id = rnd.nextInt(2_000_000) - 1_000_000L;
            } while (!ids.add(id));
            int[] y = new int[classes];
            double u = rnd.nextDouble();
            int positives = u < 0.15 ? 0 : u < 0.75 ? 1 : 2;
            int first = -1;
            for (int p = 0; p < positives; p++) {
                int c = rnd.nextInt(classes);
                y[c] = 1;
                if (first < 0) first = c;
            }
            long[] words = new long[PackedCodes.wordsFor(bits)];
            for (int b = 0; b < bits; b++) {
                boolean set = first < 0 ? rnd.nextBoolean() : centres[first][b] ^ rnd.nextDouble() < flip;
                if (set) words[b >>> 6] |= 1L << (b & 63);
            }
            String split = i < queries ? "query" : i < queries + database ? "database" : "train";
            rows.add(RowFactory.create(id, split, y, bits, words));
        }
        Collections.shuffle(rows, rnd);
        return rows;
    }

    /** A committed code table of {@code files} Parquet files, rows dealt round-robin (ids shuffled across files). */
    private static String write(String name, List<Row> rows, int files) throws IOException {
        return write(name, rows, files, SCHEMA);
    }

    /** The same with the columns of {@code schema}. */
    private static String write(String name, List<Row> rows, int files, StructType schema) throws IOException {
        String path = dir.resolve(name).toString();
        org.apache.hadoop.fs.Path staging =
                CommittedOutput.stage(spark.sparkContext().hadoopConfiguration(), path, false);
        spark.createDataFrame(rows, schema)
                .repartition(files)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(spark.sparkContext().hadoopConfiguration(), staging, path);
        return path;
    }

    /** A committed table of other columns, for the refusals. */
    private static String write(String name, List<Row> rows, org.apache.spark.sql.types.StructField... fields)
            throws IOException {
        String path = dir.resolve(name).toString();
        org.apache.hadoop.fs.Path staging =
                CommittedOutput.stage(spark.sparkContext().hadoopConfiguration(), path, false);
        spark.createDataFrame(rows, new StructType(fields))
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(spark.sparkContext().hadoopConfiguration(), staging, path);
        return path;
    }

    private static JobSettings settings(String queries, String database, String report, String... more) {
        List<String> args = new ArrayList<>(Arrays.asList(
                "-",
                "jobs.evaluate.query-codes=" + queries,
                "jobs.evaluate.database-codes=" + database,
                "paths.report=" + report,
                "jobs.evaluate.precision-at=[1, 10, 100, 1000]"));
        args.addAll(Arrays.asList(more));
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }

    private static void assertRefused(Class<? extends Exception> type, JobSettings s, String... fragments) {
        Exception e = assertThrows(type, () -> EvaluateJob.run(spark, s));
        for (String f : fragments)
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
    }
}
