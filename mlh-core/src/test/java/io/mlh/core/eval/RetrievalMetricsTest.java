package io.mlh.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mlh.core.codes.PackedCodes;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {
    private static final float[] A = {1, 0, 0}, B = {0, 1, 0}, AB = {1, 1, 0}, C = {0, 0, 1};

    /** An 8-bit code whose first d bits are -1: its distance to the all-(+1) query is d. */
    private static float[] atDistance(int d) {
        float[] c = new float[8];
        Arrays.fill(c, 1f);
        for (int k = 0; k < d; k++) c[k] = -1;
        return c;
    }

    private static PackedCodes codes(int... distances) {
        float[][] x = new float[distances.length][];
        for (int i = 0; i < distances.length; i++) x[i] = atDistance(distances[i]);
        return PackedCodes.fromSigns(x);
    }

    /**
     * One query (label A) against 5 items at distances 3, 1, 1, 0, 5 with labels B, A, C, AB, A.
     * Ranking (ties by position): item 3 (d 0, rel), item 1 (d 1, rel), item 2 (d 1, not), item 0 (d 3, not),
     * item 4 (d 5, rel). Relevant at ranks 1, 2, 5: AP@all = (1/1 + 2/2 + 3/5) / 3 = 13/15.
     * AP@2 = (1 + 1) / 2 = 1; AP@4 = 1 (the two relevant items in the top 4 are at ranks 1 and 2).
     */
    @Test
    void knownAnswerForOneQuery() {
        RetrievalMetrics m = new RetrievalMetrics(codes(0), new float[][] {A}, codes(3, 1, 1, 0, 5), new float[][] {B, A, C, AB, A});
        assertEquals(13.0 / 15, m.meanAveragePrecision(0), 1e-15);
        assertEquals(13.0 / 15, m.meanAveragePrecision(99), 1e-15);
        assertEquals(1.0, m.meanAveragePrecision(2), 1e-15);
        assertEquals(1.0, m.meanAveragePrecision(4), 1e-15);
        // radius 0: {3} -> P 1, R 1/3; radius 1: {3,1,2} -> P 2/3, R 2/3; radius 2 same; radius 3: +0 -> P 2/4;
        // radius 5 and above: all 5 -> P 3/5, R 1
        RetrievalMetrics.Report r = m.evaluate(0, new int[] {1, 3, 10});
        assertArrayEquals(new double[] {1, 2.0 / 3, 2.0 / 3, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6}, r.precisionByRadius, 1e-15);
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, 1, 1}, r.recallByRadius, 1e-15);
        assertEquals(2.0 / 3, m.precisionWithinRadius(2), 1e-15);
        assertArrayEquals(new double[] {1, 2.0 / 3, 3.0 / 5}, r.precisionAtNValues, 1e-15); // N = 10 capped at 5
    }

    /**
     * Two queries: the first as above; the second (label C) sees item 2 (label C) only at rank 3, and
     * with K = 2 nothing relevant: it scores 0 and still counts. mAP@2 = (1 + 0) / 2; mAP@all =
     * (13/15 + 1/3) / 2. Its radius-0 set is empty: precision 0 there.
     */
    @Test
    void aQueryWithNothingRelevantInItsTopKCountsAsZero() {
        PackedCodes q = PackedCodes.fromSigns(new float[][] {atDistance(0), atDistance(4)});
        // distances of the second query (first 4 bits -1) to items at 3, 1, 1, 0, 5: 1, 3, 3, 4, 1
        RetrievalMetrics m = new RetrievalMetrics(q, new float[][] {A, C}, codes(3, 1, 1, 0, 5), new float[][] {B, A, C, AB, A});
        // second query ranking: item 0 (1), item 4 (1), item 1 (3), item 2 (3, rel), item 3 (4): AP@all = 1/4
        assertEquals((1 + 0) / 2.0, m.meanAveragePrecision(2), 1e-15);
        assertEquals((13.0 / 15 + 1.0 / 4) / 2, m.meanAveragePrecision(0), 1e-15);
        assertEquals((1 + 0) / 2.0, m.evaluate(0, new int[0]).precisionByRadius[0], 1e-15);
    }

    @Test
    void mismatchedInputsAreRefused() {
        PackedCodes q8 = codes(0), db16 = PackedCodes.fromSigns(new float[][] {new float[16]});
        assertThrows(IllegalArgumentException.class, () -> new RetrievalMetrics(q8, new float[][] {A}, db16, new float[][] {A}));
        assertThrows(IllegalArgumentException.class, () -> new RetrievalMetrics(q8, new float[][] {A, B}, codes(1), new float[][] {A}));
        assertThrows(IllegalArgumentException.class, () -> new RetrievalMetrics(q8, new float[][] {A}, codes(1), new float[][] {{1, 0}}));
    }

    /** Against the definitions computed the obvious way: sort (distance, position), then count. */
    @ParameterizedTest
    @CsvSource({"16,1", "32,2", "64,3", "96,4"})
    void agreesWithABruteForceReference(int bits, int seed) {
        Random r = new Random(seed);
        int nq = 20, nd = 300, classes = 5;
        float[][] qx = gaussian(r, nq, bits), dx = gaussian(r, nd, bits);
        float[][] ql = labels(r, nq, classes), dl = labels(r, nd, classes);
        PackedCodes q = PackedCodes.fromSigns(qx), d = PackedCodes.fromSigns(dx);
        int[] ns = {1, 10, 100, 500};
        for (int k : new int[] {0, 1, 50, 300}) {
            RetrievalMetrics.Report rep = new RetrievalMetrics(q, ql, d, dl).evaluate(k, ns);
            double map = 0;
            double[] p = new double[bits + 1], rec = new double[bits + 1], pn = new double[ns.length];
            for (int i = 0; i < nq; i++) {
                int[] dist = new int[nd];
                boolean[] rel = new boolean[nd];
                Integer[] order = new Integer[nd];
                int totalRel = 0;
                for (int j = 0; j < nd; j++) {
                    for (int b = 0; b < bits; b++) dist[j] += (qx[i][b] >= 0) != (dx[j][b] >= 0) ? 1 : 0;
                    for (int c = 0; c < classes; c++) rel[j] |= ql[i][c] > 0 && dl[j][c] > 0;
                    totalRel += rel[j] ? 1 : 0;
                    order[j] = j;
                }
                Arrays.sort(order, (x, y) -> dist[x] != dist[y] ? Integer.compare(dist[x], dist[y]) : Integer.compare(x, y));
                int topK = k <= 0 ? nd : k, hits = 0;
                double ap = 0;
                for (int rank = 1; rank <= topK; rank++) {
                    if (rel[order[rank - 1]]) ap += (double) ++hits / rank;
                }
                map += hits == 0 ? 0 : ap / hits;
                for (int radius = 0; radius <= bits; radius++) {
                    int within = 0, relWithin = 0;
                    for (int j = 0; j < nd; j++) {
                        if (dist[j] <= radius) {
                            within++;
                            relWithin += rel[j] ? 1 : 0;
                        }
                    }
                    p[radius] += within == 0 ? 0 : (double) relWithin / within;
                    rec[radius] += totalRel == 0 ? 0 : (double) relWithin / totalRel;
                }
                for (int t = 0; t < ns.length; t++) {
                    int n = Math.min(ns[t], nd), c = 0;
                    for (int rank = 0; rank < n; rank++) c += rel[order[rank]] ? 1 : 0;
                    pn[t] += (double) c / n;
                }
            }
            assertEquals(map / nq, rep.map, 1e-12, "mAP@" + k);
            for (int radius = 0; radius <= bits; radius++) {
                assertEquals(p[radius] / nq, rep.precisionByRadius[radius], 1e-12, "precision at radius " + radius);
                assertEquals(rec[radius] / nq, rep.recallByRadius[radius], 1e-12, "recall at radius " + radius);
            }
            for (int t = 0; t < ns.length; t++) assertEquals(pn[t] / nq, rep.precisionAtNValues[t], 1e-12, "P@" + ns[t]);
        }
    }

    private static float[][] gaussian(Random r, int n, int bits) {
        float[][] x = new float[n][bits];
        for (float[] row : x) for (int b = 0; b < bits; b++) row[b] = (float) r.nextGaussian();
        return x;
    }

    /** Random multi-hot labels; about one row in ten has no positive class (shares nothing). */
    private static float[][] labels(Random r, int n, int classes) {
        float[][] y = new float[n][classes];
        for (float[] row : y) {
            if (r.nextInt(10) == 0) continue;
            row[r.nextInt(classes)] = 1;
            if (r.nextBoolean()) row[r.nextInt(classes)] = 1;
        }
        return y;
    }
}
