package io.mlh.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.eval.RetrievalMetrics;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.tables.CodeSplit;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/**
 * The two evaluation passes without Spark, over database partitions cut by hand: many of them, empty
 * ones, partition indices out of id order, and K and N cuts that fall inside a band of tied distances
 * spread over several partitions. Every figure must equal the single-JVM reference
 * {@link RetrievalMetrics} (to 1e-12: only the order of the AP sum differs).
 */
class TwoPassRankingTest {

    @Test
    void manyPartitionsWithEmptyOnesAndCutsInsideTiedBands() throws Exception {
        Random rnd = new Random(21);
        Data data = Data.of(EvaluateJobTest.randomRows(rnd, 60, 500, 0, 16, 6, 0.2));
        List<List<Row>> parts = data.cut(rnd, 37, 6); // 37 id ranges, about 6 of them empty
        int empty = 0;
        for (List<Row> p : parts) if (p.isEmpty()) empty++;
        assertTrue(empty >= 2, "empty partitions: " + empty);

        int k = data.cutInsideSpanningBand(parts, 0, 40);
        int n = data.cutInsideSpanningBand(parts, 1, 150);
        int[] ns = {1, n, n + 1, k, 499, 500, 5000};
        for (int topK : new int[] {k, 0, 1, n, 10000}) assertMatchesReference(data, parts, topK, ns, Refinement.NONE);
    }

    /**
     * Re-ranking: the first R of the Hamming order reordered by the int8 codes' cosine, as the reference
     * defines it, with R and the cuts inside tied distance bands spanning partitions, and int8 codes drawn
     * from a small pool so that cosines tie too (broken by id across partitions).
     */
    @Test
    void refinedRankingAcrossPartitionsAndTiedCosines() throws Exception {
        Random rnd = new Random(33);
        Data data = Data.of(EvaluateJobTest.randomRows(rnd, 40, 400, 0, 16, 6, 0.2), 9);
        List<List<Row>> parts = data.cut(rnd, 11, 3);
        int r = data.cutInsideSpanningBand(parts, 0, 60);
        int k = data.cutInsideSpanningBand(parts, 1, 30);
        int[] ns = {1, 10, k, r, r + 1, 400};
        for (int candidates : new int[] {1, r, 100, 399, 400, 5000})
            for (int topK : new int[] {0, k, r, 10})
                assertMatchesReference(data, parts, topK, ns, Refinement.top(candidates));
    }

    @Test
    void oneFullPartitionAmongEmptyOnesAndTwoWordCodes() throws Exception {
        Random rnd = new Random(4);
        Data data = Data.of(EvaluateJobTest.randomRows(rnd, 25, 300, 0, 72, 9, 0.02));
        List<List<Row>> parts = new ArrayList<>(
                Arrays.asList(Collections.<Row>emptyList(), data.database, Collections.<Row>emptyList()));
        assertMatchesReference(data, parts, 0, new int[] {10, 300}, Refinement.NONE);
        assertMatchesReference(data, data.cut(rnd, 5, 0), 17, new int[] {3, 17, 299}, Refinement.NONE);
    }

    @Test
    void labelsOfMoreThanSixtyFourClasses() throws Exception {
        // 100 classes and 2-word codes: the passes' multi-word paths for both labels and codes
        Random rnd = new Random(8);
        Data data = Data.of(EvaluateJobTest.randomRows(rnd, 40, 600, 0, 128, 100, 0.05));
        assertEquals(100, data.classes);
        assertMatchesReference(data, data.cut(rnd, 9, 2), 0, new int[] {5, 50, 600}, Refinement.NONE);
        assertMatchesReference(data, data.cut(rnd, 4, 1), 30, new int[] {30}, Refinement.NONE);
    }

    @Test
    void passOneRefusesDuplicateIds() {
        Data data = Data.of(EvaluateJobTest.randomRows(new Random(2), 5, 40, 0, 16, 3, 0.1));
        QuerySet q = QuerySet.of(data.queries, 16, 3, "t");
        List<Row> twice = new ArrayList<>(data.database.subList(0, 10));
        twice.add(5, twice.get(5));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> DistanceCounts.count(0, twice.iterator(), q, "db table"));
        assertTrue(
                e.getMessage()
                        .contains("db table has duplicate ids: " + twice.get(5).getLong(0)),
                e.getMessage());
    }

    @Test
    void passTwoRefusesAPartitionThatChanged() {
        Data data = Data.of(EvaluateJobTest.randomRows(new Random(9), 5, 40, 0, 16, 3, 0.1));
        List<List<Row>> parts = data.cut(new Random(1), 2, 0);
        QuerySet q = QuerySet.of(data.queries, 16, 3, "t");
        List<DistanceCounts> counts = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++)
            counts.add(DistanceCounts.count(p, parts.get(p).iterator(), q, "t"));
        RankOffsets o = Ranking.of(counts, q.size, 16).offsets(0, new int[] {5}, Refinement.NONE, 2);
        List<Row> fewer = parts.get(1).subList(1, parts.get(1).size());
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> CutSums.sum(1, fewer.iterator(), q, o, "db table"));
        assertTrue(e.getMessage().contains("db table changed between the evaluation's passes"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------

    /** Runs both passes as EvaluateJob does, the offsets through Java serialisation like a broadcast. */
    private static void assertMatchesReference(Data data, List<List<Row>> parts, int topK, int[] ns, Refinement refine)
            throws IOException, ClassNotFoundException {
        QuerySet q = QuerySet.of(data.queries, data.bits, data.classes, "t");
        // partition indices out of id order: the ranking must follow ids, not indices
        List<Integer> index = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++) index.add(p);
        Collections.shuffle(index, new Random(parts.size()));
        List<DistanceCounts> counts = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++)
            counts.add(DistanceCounts.count(index.get(p), parts.get(p).iterator(), q, "t"));
        Ranking ranking = Ranking.of(counts, q.size, data.bits);
        assertEquals(data.database.size(), ranking.database);
        RankOffsets offsets = roundTrip(ranking.offsets(topK, ns, refine, parts.size()));
        List<CutSums> sums = new ArrayList<>();
        for (int p = parts.size() - 1; p >= 0; p--)
            sums.add(roundTrip(CutSums.sum(index.get(p), parts.get(p).iterator(), q, offsets, "t")));
        ranking.add(sums);

        RetrievalMetrics.Report want = data.reference().evaluate(topK, ns, refine, data.int8(true), data.int8(false));
        String at = "top-k " + topK + ", " + parts.size() + " partitions, re-ranking " + refine;
        assertEquals(want.map, ranking.meanAveragePrecision(), 1e-12, "mAP at " + at);
        assertTrue(want.map > 0 && want.map < 1, "a meaningful mAP: " + want.map);
        double[] pn = new double[ns.length];
        for (int j = 0; j < ns.length; j++) pn[j] = ranking.precisionAt(j);
        assertArrayEquals(want.precisionAtNValues, pn, 1e-12, "precision@N at " + at);
        double[][] pr = ranking.precisionRecallByRadius();
        assertArrayEquals(want.precisionByRadius, pr[0], 1e-12, "precision by radius at " + at);
        assertArrayEquals(want.recallByRadius, pr[1], 1e-12, "recall by radius at " + at);
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    /**
     * Queries and database (id order) as the rows the passes read: id, labels (multi-hot for the
     * queries, packed for the database), code; arrays as Scala sequences, as Spark gives them.
     */
    private static final class Data {
        final List<Row> queries = new ArrayList<>(), database = new ArrayList<>();
        final List<int[]> databaseLabels = new ArrayList<>(), queryLabels = new ArrayList<>();
        final List<long[]> databaseCodes = new ArrayList<>(), queryCodes = new ArrayList<>();
        final List<byte[]> databaseInt8 = new ArrayList<>(), queryInt8 = new ArrayList<>();
        int bits, classes;

        static Data of(List<Row> tableRows) {
            return of(tableRows, 0);
        }

        /**
         * With {@code pool} > 0, each row also carries an int8 continuous code, one of {@code pool} random
         * codes (the same id, the same code), as CodeSplit gives them: after the bits for the queries, last
         * for the database.
         */
        static Data of(List<Row> tableRows, int pool) {
            Random draw = new Random(pool);
            byte[][] codes = new byte[pool][];
            for (int c = 0; c < pool; c++) {
                codes[c] = new byte[tableRows.get(0).getInt(3)];
                draw.nextBytes(codes[c]);
                for (int b = 0; b < codes[c].length; b++) codes[c][b] = (byte) Math.max(-127, codes[c][b]);
            }
            List<Row> sorted = new ArrayList<>(tableRows);
            sorted.sort(Comparator.comparingLong(r -> r.getLong(0)));
            Data d = new Data();
            for (Row r : sorted) {
                int[] y = (int[]) r.get(2);
                long[] code = (long[]) r.get(4);
                d.bits = r.getInt(3);
                d.classes = y.length;
                List<Integer> yl = new ArrayList<>();
                for (int v : y) yl.add(v);
                List<Long> cl = new ArrayList<>();
                for (long v : code) cl.add(v);
                Row row = RowFactory.create(
                        r.getLong(0),
                        JavaConverters.asScalaBufferConverter(yl).asScala(),
                        JavaConverters.asScalaBufferConverter(cl).asScala());
                byte[] int8 = pool > 0 ? codes[Math.floorMod(Long.hashCode(r.getLong(0) * 31), pool)] : null;
                boolean query = r.getString(1).equals("query");
                if (query) {
                    d.queries.add(
                            int8 == null ? row : RowFactory.create(row.get(0), row.get(1), row.get(2), d.bits, int8));
                } else { // as CodeSplit.packedRows gives them to the passes
                    List<Long> packed = new ArrayList<>();
                    for (long word : (long[])
                            CodeSplit.pack(row, PackedCodes.wordsFor(y.length)).get(1)) packed.add(word);
                    Object labels =
                            JavaConverters.asScalaBufferConverter(packed).asScala();
                    d.database.add(
                            int8 == null
                                    ? RowFactory.create(row.get(0), labels, row.get(2))
                                    : RowFactory.create(row.get(0), labels, row.get(2), int8));
                }
                (query ? d.queryLabels : d.databaseLabels).add(y);
                (query ? d.queryCodes : d.databaseCodes).add(code);
                if (int8 != null) (query ? d.queryInt8 : d.databaseInt8).add(int8);
            }
            return d;
        }

        /** The database in {@code parts} consecutive id ranges at random bounds, at least {@code empty} of them empty. */
        List<List<Row>> cut(Random rnd, int parts, int empty) {
            int[] at = new int[parts + 1];
            at[parts] = database.size();
            for (int p = 1; p < parts - empty; p++) at[p] = rnd.nextInt(database.size() + 1);
            for (int p = Math.max(1, parts - empty); p < parts; p++)
                at[p] = at[rnd.nextInt(p)]; // a repeated bound: an empty range
            Arrays.sort(at);
            List<List<Row>> out = new ArrayList<>();
            for (int p = 0; p < parts; p++) out.add(database.subList(at[p], at[p + 1]));
            return out;
        }

        /**
         * A cut (rank, 1-based) near {@code near} for query {@code q} whose ranks cut and cut + 1 tie on
         * distance and whose tied band holds items of more than one partition, with the cut not in the
         * band's first partition: the case where a partition's offsets and partial counts both matter.
         */
        int cutInsideSpanningBand(List<List<Row>> parts, int q, int near) {
            int w = PackedCodes.wordsFor(bits), m = database.size();
            Integer[] order = new Integer[m];
            int[] dist = new int[m], part = new int[m];
            for (int i = 0, p = 0, seen = 0; i < m; i++) {
                while (i >= seen + parts.get(p).size()) seen += parts.get(p++).size();
                part[i] = p;
                dist[i] = PackedCodes.hamming(queryCodes.get(q), 0, databaseCodes.get(i), 0, w);
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingInt((Integer i) -> dist[i]).thenComparingInt(i -> i));
            for (int off = 0; off < m; off++) {
                for (int cut : new int[] {near + off, near - off}) {
                    if (cut < 2 || cut >= m) continue;
                    int d = dist[order[cut - 1]], first = cut - 1;
                    while (first > 0 && dist[order[first - 1]] == d) first--;
                    if (dist[order[cut]] == d && part[order[cut - 1]] != part[order[first]]) return cut;
                }
            }
            throw new AssertionError("no cut inside a tied band spanning partitions for query " + q);
        }

        /** The queries' or the database's int8 codes in id order (null without them). */
        Int8Codes int8(boolean queries) {
            List<byte[]> rows = queries ? queryInt8 : databaseInt8;
            if (rows.isEmpty()) return null;
            byte[] all = new byte[rows.size() * bits];
            for (int i = 0; i < rows.size(); i++) System.arraycopy(rows.get(i), 0, all, i * bits, bits);
            return Int8Codes.of(all, rows.size(), bits);
        }

        RetrievalMetrics reference() {
            return new RetrievalMetrics(
                    codes(queryCodes), labels(queryLabels), codes(databaseCodes), labels(databaseLabels));
        }

        private PackedCodes codes(List<long[]> codes) {
            int w = PackedCodes.wordsFor(bits);
            long[] words = new long[codes.size() * w];
            for (int i = 0; i < codes.size(); i++) System.arraycopy(codes.get(i), 0, words, i * w, w);
            return PackedCodes.of(words, codes.size(), bits);
        }

        private static float[][] labels(List<int[]> labels) {
            float[][] y = new float[labels.size()][];
            for (int i = 0; i < y.length; i++) {
                y[i] = new float[labels.get(i).length];
                for (int c = 0; c < y[i].length; c++) y[i][c] = labels.get(i)[c];
            }
            return y;
        }
    }
}
