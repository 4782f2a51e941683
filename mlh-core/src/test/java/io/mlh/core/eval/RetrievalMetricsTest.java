package io.mlh.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.Refinement;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RetrievalMetricsTest {
    private static final double EXACT = 1e-15;
    /** Multi-hot rows over 3 classes A, B, C; NONE has no positive class. */
    private static final float[] A = {1, 0, 0}, B = {0, 1, 0}, C = {0, 0, 1}, AB = {1, 1, 0}, NONE = {0, 0, 0};

    /** An 8-bit code whose first d bits are -1 and the rest +1. Two such codes are |d - d'| apart. */
    private static float[] atDistance(int d) {
        float[] c = new float[8];
        Arrays.fill(c, 1f);
        for (int k = 0; k < d; k++) c[k] = -1;
        return c;
    }

    private static PackedCodes codes(int... d) {
        float[][] x = new float[d.length][];
        for (int i = 0; i < d.length; i++) x[i] = atDistance(d[i]);
        return PackedCodes.fromSigns(x);
    }

    private static float[][] labels(float[]... rows) {
        return rows;
    }

    /** The standard one-query case used below: query code at 0 with label A. */
    private static RetrievalMetrics oneQuery() {
        return new RetrievalMetrics(codes(0), labels(A), codes(3, 1, 1, 0, 5), labels(B, A, C, AB, A));
    }

    /*
     * One query (code at 0, label A) and 5 items:
     *   item      0  1  2  3   4
     *   distance  3  1  1  0   5
     *   label     B  A  C  AB  A      relevant: 1, 3 (AB shares A), 4
     * Ranking (ties by position): 3 (rel), 1 (rel), 2, 0, 4 (rel). Relevant at ranks 1, 2, 5.
     *   AP@all = (1/1 + 2/2 + 3/5) / 3 = 13/15
     *   AP@1 = 1/1 = 1, AP@2 = (1 + 1) / 2 = 1, AP@4 = 1 (ranks 1 and 2 only), AP@5 = 13/15
     */
    @Test
    void averagePrecisionOfOneQuery() {
        RetrievalMetrics m = oneQuery();
        assertEquals(13.0 / 15, m.meanAveragePrecision(0), EXACT);
        assertEquals(1.0, m.meanAveragePrecision(1), EXACT);
        assertEquals(1.0, m.meanAveragePrecision(2), EXACT);
        assertEquals(1.0, m.meanAveragePrecision(4), EXACT);
        assertEquals(13.0 / 15, m.meanAveragePrecision(5), EXACT);
    }

    /*
     * The same case by radius (items within distance r, relevant among them; 3 relevant in all):
     *   r = 0: {3}          P 1/1  R 1/3
     *   r = 1: {3, 1, 2}    P 2/3  R 2/3     r = 2: the same, so P@H<=2 = 2/3
     *   r = 3: + item 0     P 2/4  R 2/3     r = 4: the same
     *   r = 5..8: all 5     P 3/5  R 3/3
     * precision@N: N = 1: 1/1; N = 3: 2/3; N = 10 exceeds the 5 items, so the divisor is 5: 3/5.
     */
    @Test
    void prCurveAndPrecisionAtNOfOneQuery() {
        RetrievalMetrics m = oneQuery();
        RetrievalMetrics.PrCurve pr = m.prCurve();
        assertEquals(8, pr.bits);
        assertArrayEquals(
                new double[] {1, 2.0 / 3, 2.0 / 3, 2.0 / 4, 2.0 / 4, 3.0 / 5, 3.0 / 5, 3.0 / 5, 3.0 / 5},
                pr.precision,
                EXACT);
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, 1, 1}, pr.recall, EXACT);
        assertEquals(2.0 / 3, pr.precisionAtRadius(2), EXACT);
        assertEquals(3.0 / 5, pr.precisionAtRadius(100), EXACT); // beyond `bits`: the whole database
        assertEquals(2.0 / 3, m.precisionWithinRadius(2), EXACT);
        assertArrayEquals(new double[] {1, 2.0 / 3, 3.0 / 5}, m.precisionAtN(new int[] {1, 3, 10}), EXACT);

        RetrievalMetrics.Report r = m.evaluate(2, new int[] {1, 3, 10});
        assertEquals(1.0, r.map, EXACT);
        assertEquals(2.0 / 3, r.precisionWithinRadius2, EXACT);
        assertEquals(2.0 / 3, r.precisionWithinRadius(2), EXACT);
        assertArrayEquals(pr.precision, r.precisionByRadius, 0);
        assertArrayEquals(pr.recall, r.curve.recall, 0);
        assertArrayEquals(new int[] {1, 3, 10}, r.precisionAtN);
    }

    /*
     * Ties go to the lower database position. One query (code at 0, label A) and 4 items at distances
     * 2, 2, 2, 0. Item 3 (label C) is ranked first, then the three tied items in position order. Exactly
     * one of them has label A:
     *   A at position 0: ranking 3, 0*, 1, 2 -> AP = (1/2) / 1 = 1/2, P@3 = 1/3
     *   A at position 1: ranking 3, 0, 1*, 2 -> AP = 1/3,             P@3 = 1/3
     *   A at position 2: ranking 3, 0, 1, 2* -> AP = 1/4,             P@3 = 0
     * The radius figures ignore order: P@H<=0 = 0/1, P@H<=2 = 1/4 every time.
     */
    @Test
    void tiesAreBrokenByDatabasePosition() {
        float[][][] placements = {labels(A, B, B, C), labels(B, A, B, C), labels(B, B, A, C)};
        double[] ap = {1.0 / 2, 1.0 / 3, 1.0 / 4}, p3 = {1.0 / 3, 1.0 / 3, 0};
        for (int t = 0; t < 3; t++) {
            RetrievalMetrics m = new RetrievalMetrics(codes(0), labels(A), codes(2, 2, 2, 0), placements[t]);
            RetrievalMetrics.Report r = m.evaluate(0, new int[] {3});
            assertEquals(ap[t], r.map, EXACT, "relevant item at position " + t);
            assertEquals(p3[t], r.precisionAtNValues[0], EXACT, "relevant item at position " + t);
            assertEquals(0, r.curve.precisionAtRadius(0), EXACT);
            assertEquals(1.0 / 4, r.precisionWithinRadius2, EXACT);
        }
    }

    /*
     * Two queries against the items of oneQuery():
     *   q0: code at 0, label A: as above, AP@all = 13/15, AP@2 = 1
     *   q1: code at 4, label C. Its distances to items at 3, 1, 1, 0, 5 are 1, 3, 3, 4, 1. Only item 2 (C)
     *       is relevant. Ranking: 0 (1), 4 (1), 1 (3), 2* (3), 3 (4) -> AP@all = 1/4; AP@2 = 0 (nothing
     *       relevant in its top 2), and it still counts.
     *   mAP@2 = (1 + 0) / 2 = 1/2; mAP@all = (13/15 + 1/4) / 2 = 67/120.
     * q1 by radius: r = 0: nothing within -> P 0, R 0; r = 1, 2: {0, 4} -> P 0, R 0;
     *   r = 3: {0, 4, 1, 2} -> P 1/4, R 1; r >= 4: all -> P 1/5, R 1.
     * Mean precision: r0 (1 + 0)/2 = 1/2; r1, r2 (2/3 + 0)/2 = 1/3; r3 (2/4 + 1/4)/2 = 3/8; r4 (2/4 + 1/5)/2 = 7/20;
     *   r5+ (3/5 + 1/5)/2 = 2/5
     * Mean recall:    r0 (1/3 + 0)/2 = 1/6; r1, r2 (2/3)/2 = 1/3; r3, r4 (2/3 + 1)/2 = 5/6; r5+ 1
     * P@1: (1 + 0)/2 = 1/2.
     */
    @Test
    void aQueryWithNothingRelevantInItsTopKScoresZeroAndStillCounts() {
        RetrievalMetrics m =
                new RetrievalMetrics(codes(0, 4), labels(A, C), codes(3, 1, 1, 0, 5), labels(B, A, C, AB, A));
        assertEquals(1.0 / 2, m.meanAveragePrecision(2), EXACT);
        assertEquals(67.0 / 120, m.meanAveragePrecision(0), EXACT);
        RetrievalMetrics.Report r = m.evaluate(0, new int[] {1});
        assertArrayEquals(
                new double[] {1.0 / 2, 1.0 / 3, 1.0 / 3, 3.0 / 8, 7.0 / 20, 2.0 / 5, 2.0 / 5, 2.0 / 5, 2.0 / 5},
                r.precisionByRadius,
                EXACT);
        assertArrayEquals(
                new double[] {1.0 / 6, 1.0 / 3, 1.0 / 3, 5.0 / 6, 5.0 / 6, 1, 1, 1, 1}, r.recallByRadius, EXACT);
        assertEquals(1.0 / 3, r.precisionWithinRadius2, EXACT);
        assertEquals(1.0 / 2, r.precisionAtNValues[0], EXACT);
    }

    /** K <= 0, K = database size and K above it all mean the whole database: 67/120 as above. */
    @Test
    void kAtOrBelowZeroOrBeyondTheDatabaseMeansAll() {
        RetrievalMetrics m =
                new RetrievalMetrics(codes(0, 4), labels(A, C), codes(3, 1, 1, 0, 5), labels(B, A, C, AB, A));
        for (int k : new int[] {0, -1, Integer.MIN_VALUE, 5, 6, Integer.MAX_VALUE}) {
            assertEquals(67.0 / 120, m.meanAveragePrecision(k), EXACT, "K = " + k);
        }
    }

    /*
     * A query with no relevant item anywhere (label NONE) scores AP 0, recall 0 and precision 0 at every
     * radius, and still counts: with q0 of oneQuery() beside it,
     *   mAP = (13/15 + 0) / 2 = 13/30, recall at r = 8: (1 + 0) / 2 = 1/2, precision at r = 0: (1 + 0) / 2.
     */
    @Test
    void aQueryWithNoRelevantItemAtAllCountsAsZero() {
        RetrievalMetrics m =
                new RetrievalMetrics(codes(0, 0), labels(A, NONE), codes(3, 1, 1, 0, 5), labels(B, A, C, AB, A));
        RetrievalMetrics.Report r = m.evaluate(0, new int[] {5});
        assertEquals(13.0 / 30, r.map, EXACT);
        assertEquals(1.0 / 2, r.curve.recallAtRadius(8), EXACT);
        assertEquals(1.0 / 2, r.curve.precisionAtRadius(0), EXACT);
        assertEquals((3.0 / 5) / 2, r.precisionAtNValues[0], EXACT);
    }

    /*
     * Sharing one positive class is enough. Query AB against items at distances 0..4 (ranked in order)
     * with labels A, B, C, AB, NONE: relevant items 0, 1, 3 at ranks 1, 2, 4 -> AP = (1 + 1 + 3/4) / 3 = 11/12.
     * Only values > 0 are positive: the same labels written with -1 and 0.5 for absent and present
     * classes give the same answer.
     */
    @Test
    void sharingOneLabelIsEnough() {
        PackedCodes db = codes(0, 1, 2, 3, 4);
        RetrievalMetrics m = new RetrievalMetrics(codes(0), labels(AB), db, labels(A, B, C, AB, NONE));
        assertEquals(11.0 / 12, m.meanAveragePrecision(0), EXACT);
        float[] ab = {0.5f, 0.5f, -1}, a = {0.5f, -1, -1}, b = {-1, 0.5f, -1}, c = {-1, -1, 0.5f}, none = {-1, -1, -1};
        RetrievalMetrics signed = new RetrievalMetrics(codes(0), labels(ab), db, labels(a, b, c, ab, none));
        assertEquals(11.0 / 12, signed.meanAveragePrecision(0), EXACT);
        // label rows wider than one 64-bit word: classes 3 and 70 shared by the last item only -> AP = 1/5
        float[][] wide = new float[5][100];
        float[] q = new float[100];
        q[70] = 1;
        wide[4][70] = 1;
        wide[4][3] = 1;
        for (int i = 0; i < 4; i++) wide[i][i] = 1;
        assertEquals(1.0 / 5, new RetrievalMetrics(codes(0), labels(q), db, wide).meanAveragePrecision(0), EXACT);
    }

    @Test
    void emptyDatabaseOrNoQueriesGiveZeros() {
        PackedCodes none = PackedCodes.of(new long[0], 0, 8);
        RetrievalMetrics.Report r =
                new RetrievalMetrics(codes(0), labels(A), none, new float[0][]).evaluate(0, new int[] {10});
        assertEquals(0, r.map, 0);
        assertEquals(0, r.precisionAtNValues[0], 0);
        assertArrayEquals(new double[9], r.precisionByRadius, 0);
        RetrievalMetrics.Report s =
                new RetrievalMetrics(none, new float[0][], codes(1, 2), labels(A, B)).evaluate(0, new int[] {1});
        assertEquals(0, s.map, 0);
        assertArrayEquals(new double[9], s.recallByRadius, 0);
    }

    @Test
    void mismatchedInputsAreRefusedWithAClearMessage() {
        PackedCodes q8 = codes(0), db16 = PackedCodes.fromSigns(new float[][] {new float[16]});
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new RetrievalMetrics(q8, labels(A), db16, labels(A)));
        assertEquals("query codes have 8 bits, database codes 16", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> new RetrievalMetrics(q8, labels(A, B), codes(1), labels(A)));
        assertEquals("2 query label rows for 1 query codes", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> new RetrievalMetrics(q8, labels(A), codes(1, 2), labels(A)));
        assertEquals("1 database label rows for 2 database codes", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RetrievalMetrics(q8, labels(A), codes(1, 2), labels(A, new float[] {1, 0})));
        assertEquals("database label row 1 has 2 classes, expected 3", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RetrievalMetrics(codes(0, 1), labels(A, new float[4]), codes(1), labels(A)));
        assertTrue(e.getMessage().startsWith("query label row 1"), e.getMessage());
        RetrievalMetrics m = oneQuery();
        assertThrows(IllegalArgumentException.class, () -> m.precisionAtN(new int[] {5, 0}));
        assertThrows(IllegalArgumentException.class, () -> m.precisionWithinRadius(-1));
    }

    static Stream<Arguments> randomCases() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (int bits : new int[] {16, 32, 64, 96})
            for (long seed : new long[] {1, 2, 3}) s.add(Arguments.of(bits, seed * 1000 + bits));
        return s.build();
    }

    /**
     * Against the definitions computed the obvious way: a distance per pair from the float signs, an
     * Integer[] index sorted by (distance, index), then each metric counted literally.
     */
    @ParameterizedTest(name = "{0} bits, seed {1}")
    @MethodSource("randomCases")
    void agreesWithABruteForceReference(int bits, long seed) {
        Random rnd = new Random(seed);
        int nq = 20, nd = 300, classes = 6;
        float[][] dx = gaussian(rnd, nd, bits), qx = gaussian(rnd, nq, bits);
        // duplicates force exact distance ties at every code length
        for (int j = 1; j < nd; j++) if (rnd.nextInt(3) == 0) dx[j] = dx[rnd.nextInt(j)].clone();
        for (int i = 0; i < nq; i += 4) qx[i] = dx[rnd.nextInt(nd)].clone();
        float[][] ql = randomLabels(rnd, nq, classes, 5), dl = randomLabels(rnd, nd, classes, 6);
        RetrievalMetrics metrics = new RetrievalMetrics(PackedCodes.fromSigns(qx), ql, PackedCodes.fromSigns(dx), dl);

        int[] ns = {1, 5, 10, 100, 300, 500};
        for (int k : new int[] {0, -3, 1, 7, 50, 299, 300, 1000}) {
            RetrievalMetrics.Report rep = metrics.evaluate(k, ns);
            double map = 0;
            double[] p = new double[bits + 1], rec = new double[bits + 1], pn = new double[ns.length];
            for (int i = 0; i < nq; i++) {
                int[] dist = new int[nd];
                boolean[] rel = new boolean[nd];
                Integer[] order = new Integer[nd];
                int totalRel = 0;
                for (int j = 0; j < nd; j++) {
                    for (int b = 0; b < bits; b++) if ((qx[i][b] >= 0) != (dx[j][b] >= 0)) dist[j]++;
                    for (int c = 0; c < classes; c++) if (ql[i][c] > 0 && dl[j][c] > 0) rel[j] = true;
                    if (rel[j]) totalRel++;
                    order[j] = j;
                }
                Arrays.sort(
                        order,
                        (x, y) -> dist[x] != dist[y] ? Integer.compare(dist[x], dist[y]) : Integer.compare(x, y));

                map += averagePrecision(order, rel, k);

                for (int radius = 0; radius <= bits; radius++) {
                    int within = 0, relWithin = 0;
                    for (int j = 0; j < nd; j++) {
                        if (dist[j] <= radius) {
                            within++;
                            if (rel[j]) relWithin++;
                        }
                    }
                    p[radius] += within == 0 ? 0 : (double) relWithin / within;
                    rec[radius] += totalRel == 0 ? 0 : (double) relWithin / totalRel;
                }

                addPrecisionAtN(order, rel, ns, pn);
            }
            assertEquals(map / nq, rep.map, 1e-12, "mAP@" + k);
            assertEquals(rep.map, metrics.meanAveragePrecision(k), 0, "wrapper mAP@" + k);
            for (int radius = 0; radius <= bits; radius++) {
                assertEquals(p[radius] / nq, rep.precisionByRadius[radius], 1e-12, "precision at radius " + radius);
                assertEquals(rec[radius] / nq, rep.recallByRadius[radius], 1e-12, "recall at radius " + radius);
            }
            assertEquals(p[2] / nq, rep.precisionWithinRadius2, 1e-12, "P@H<=2");
            for (int t = 0; t < ns.length; t++)
                assertEquals(pn[t] / nq, rep.precisionAtNValues[t], 1e-12, "P@" + ns[t]);
        }

        // the thin wrappers and a second run give bit-identical figures
        RetrievalMetrics.Report a = metrics.evaluate(0, ns), b = metrics.evaluate(0, ns);
        assertEquals(Double.doubleToLongBits(a.map), Double.doubleToLongBits(b.map));
        assertArrayEquals(a.precisionByRadius, b.precisionByRadius, 0);
        assertArrayEquals(a.precisionByRadius, metrics.prCurve().precision, 0);
        assertArrayEquals(a.recallByRadius, metrics.prCurve().recall, 0);
        assertArrayEquals(a.precisionAtNValues, metrics.precisionAtN(ns), 0);
        assertEquals(a.precisionWithinRadius2, metrics.precisionWithinRadius(2), 0);
    }

    /*
     * Re-ranking the standard case (ranking 3, 1, 2, 0, 4 by distance) with int8 continuous codes whose
     * cosines with the query are: item 0: 0, 1: 0.6, 2: 1, 3: 0.6, 4: 1 (2-d codes).
     *   refine 3: the first three (3, 1, 2) by cosine, ties by position: 2, 1, 3; then 0, 4.
     *             relevant at ranks 2, 3, 5: AP@all = (1/2 + 2/3 + 3/5) / 3; P@1 = 0, P@3 = 2/3
     *   refine 5: all by cosine: 2, 4, 1, 3, 0: relevant at 2, 3, 4: AP = (1/2 + 2/3 + 3/4) / 3
     */
    @Test
    void refinementReordersTheFirstRCandidatesByCosineTiesByPosition() {
        RetrievalMetrics m = oneQuery();
        Int8Codes query = Int8Codes.of(new byte[] {100, 0}, 1, 2);
        Int8Codes items = Int8Codes.of(new byte[] {0, 50, 60, 80, 20, 0, 60, 80, 100, 0}, 5, 2);
        RetrievalMetrics.Report three = m.evaluate(0, new int[] {1, 3}, Refinement.top(3), query, items);
        assertEquals((1.0 / 2 + 2.0 / 3 + 3.0 / 5) / 3, three.map, EXACT);
        assertArrayEquals(new double[] {0, 2.0 / 3}, three.precisionAtNValues, EXACT);
        assertEquals(
                (1.0 / 2 + 2.0 / 3 + 3.0 / 4) / 3,
                m.evaluate(0, new int[0], Refinement.top(5), query, items).map,
                EXACT);
        // the PR curve counts the items within each radius: unchanged
        assertArrayEquals(m.evaluate(0, new int[0]).precisionByRadius, three.precisionByRadius, 0);
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> m.evaluate(0, new int[0], Refinement.top(3), null, null));
        assertTrue(none.getMessage().contains("int8 codes"), none.getMessage());
    }

    /**
     * Re-ranked mAP@K and precision@N against the definition computed the obvious way: the Hamming order as
     * an Integer[] sorted by (distance, index), its first R sorted again by (cosine of the int8 codes in
     * doubles, descending; index), the rest left as they were. Duplicated rows tie in distance and in cosine.
     */
    @ParameterizedTest(name = "{0} bits, seed {1}")
    @MethodSource("randomCases")
    void refinedRankingAgreesWithABruteForceReference(int bits, long seed) {
        Random rnd = new Random(seed);
        int nq = 12, nd = 240, classes = 6;
        float[][] dx = gaussian(rnd, nd, bits), qx = gaussian(rnd, nq, bits);
        for (int j = 1; j < nd; j++) if (rnd.nextInt(3) == 0) dx[j] = dx[rnd.nextInt(j)].clone();
        for (int i = 0; i < nq; i += 4) qx[i] = dx[rnd.nextInt(nd)].clone();
        float[][] ql = randomLabels(rnd, nq, classes, 5), dl = randomLabels(rnd, nd, classes, 6);
        RetrievalMetrics metrics = new RetrievalMetrics(PackedCodes.fromSigns(qx), ql, PackedCodes.fromSigns(dx), dl);
        Int8Codes qi = Int8Codes.fromContinuous(tanh(qx), nq, bits), di = Int8Codes.fromContinuous(tanh(dx), nd, bits);

        int[] ns = {1, 10, 100, 500};
        for (int r : new int[] {1, 10, 100, 240, 1000}) {
            for (int k : new int[] {0, 10, 100}) {
                RetrievalMetrics.Report rep = metrics.evaluate(k, ns, Refinement.top(r), qi, di);
                double map = 0;
                double[] pn = new double[ns.length];
                for (int i = 0; i < nq; i++) {
                    int[] dist = new int[nd];
                    double[] cos = new double[nd];
                    boolean[] rel = new boolean[nd];
                    Integer[] order = new Integer[nd];
                    byte[] q = qi.code(i);
                    for (int j = 0; j < nd; j++) {
                        for (int b = 0; b < bits; b++) if ((qx[i][b] >= 0) != (dx[j][b] >= 0)) dist[j]++;
                        for (int c = 0; c < classes; c++) if (ql[i][c] > 0 && dl[j][c] > 0) rel[j] = true;
                        byte[] d = di.code(j);
                        double dot = 0, nqq = 0, ndd = 0;
                        for (int b = 0; b < bits; b++) {
                            dot += q[b] * d[b];
                            nqq += q[b] * q[b];
                            ndd += d[b] * d[b];
                        }
                        cos[j] = nqq == 0 || ndd == 0 ? 0 : dot / Math.sqrt(nqq * ndd);
                        order[j] = j;
                    }
                    Arrays.sort(
                            order,
                            (x, y) -> dist[x] != dist[y] ? Integer.compare(dist[x], dist[y]) : Integer.compare(x, y));
                    Arrays.sort(
                            order,
                            0,
                            Math.min(r, nd),
                            (x, y) -> cos[x] != cos[y] ? Double.compare(cos[y], cos[x]) : Integer.compare(x, y));

                    map += averagePrecision(order, rel, k);
                    addPrecisionAtN(order, rel, ns, pn);
                }
                assertEquals(map / nq, rep.map, 1e-12, "mAP@" + k + ", refine " + r);
                for (int t = 0; t < ns.length; t++)
                    assertEquals(pn[t] / nq, rep.precisionAtNValues[t], 1e-12, "P@" + ns[t] + ", refine " + r);
            }
        }
    }

    /** AP@k of one ranking, counted literally (k <= 0 or beyond the list: all of it). */
    private static double averagePrecision(Integer[] order, boolean[] rel, int k) {
        int topK = k <= 0 || k > order.length ? order.length : k, hits = 0;
        double ap = 0;
        for (int rank = 1; rank <= topK; rank++) {
            if (rel[order[rank - 1]]) {
                hits++;
                ap += (double) hits / rank;
            }
        }
        return hits == 0 ? 0 : ap / hits;
    }

    /** Adds one ranking's precision@N for each N of {@code ns} to {@code sums}. */
    private static void addPrecisionAtN(Integer[] order, boolean[] rel, int[] ns, double[] sums) {
        for (int t = 0; t < ns.length; t++) {
            int n = Math.min(ns[t], order.length), c = 0;
            for (int rank = 0; rank < n; rank++) if (rel[order[rank]]) c++;
            sums[t] += (double) c / n;
        }
    }

    private static float[] tanh(float[][] x) {
        float[] u = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++)
            for (int b = 0; b < x[i].length; b++) u[i * x[i].length + b] = (float) Math.tanh(x[i][b]);
        return u;
    }

    private static float[][] gaussian(Random r, int n, int bits) {
        float[][] x = new float[n][bits];
        for (float[] row : x) for (int b = 0; b < bits; b++) row[b] = (float) r.nextGaussian();
        return x;
    }

    /**
     * Random multi-hot labels over {@code classes}, drawing positives from the first {@code drawFrom}.
     * About one row in eight has no positive class. Database rows may also carry only the last class,
     * which no query has, so they share nothing with any query.
     */
    private static float[][] randomLabels(Random r, int n, int classes, int drawFrom) {
        float[][] y = new float[n][classes];
        for (float[] row : y) {
            if (r.nextInt(8) == 0) continue;
            row[r.nextInt(drawFrom)] = 1;
            if (r.nextBoolean()) row[r.nextInt(drawFrom)] = 1;
        }
        return y;
    }
}
