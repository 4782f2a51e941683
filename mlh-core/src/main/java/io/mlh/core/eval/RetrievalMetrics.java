package io.mlh.core.eval;

import io.mlh.core.codes.PackedCodes;

/**
 * Retrieval quality of query codes against database codes, by the deep-hashing protocol
 * (DeepHash-pytorch's CalcTopMap): an item is relevant to a query when their multi-hot labels share
 * a positive class; the database is ranked by Hamming distance, ties by ascending database position.
 *
 * <ul>
 *   <li>mAP@K: AP over the top K = mean over the relevant items in the top K of (relevant so far / rank);
 *       a query with no relevant item in its top K scores 0 and still counts. K <= 0 means all.
 *   <li>PR curve: at every radius r = 0..bits, precision = relevant within r / items within r (0 when
 *       nothing is within r) and recall = relevant within r / relevant in the database (0 when none),
 *       each averaged over queries. P@H<=2 is the precision at r = 2.
 *   <li>precision@N: relevant among the first N ranked / N (N capped at the database size).
 * </ul>
 *
 * One pass a query computes every distance once; a counting sort by distance (0..bits, stable) gives
 * the exact ranking in O(database + bits). Per-query figures are summed in query order, so results
 * are identical run to run.
 */
public final class RetrievalMetrics {
    private final PackedCodes queries, database;
    private final float[][] queryLabels, databaseLabels;

    public RetrievalMetrics(PackedCodes queries, float[][] queryLabels, PackedCodes database, float[][] databaseLabels) {
        if (queries.bits() != database.bits()) {
            throw new IllegalArgumentException("query codes have " + queries.bits() + " bits, database codes " + database.bits());
        }
        if (queryLabels.length != queries.size() || databaseLabels.length != database.size()) {
            throw new IllegalArgumentException("labels do not match codes: " + queryLabels.length + " labels for " + queries.size()
                    + " queries, " + databaseLabels.length + " for " + database.size() + " database codes");
        }
        int c = queryLabels.length > 0 ? queryLabels[0].length : databaseLabels.length > 0 ? databaseLabels[0].length : 0;
        checkWidth(queryLabels, c, "query");
        checkWidth(databaseLabels, c, "database");
        this.queries = queries;
        this.database = database;
        this.queryLabels = queryLabels;
        this.databaseLabels = databaseLabels;
    }

    private static void checkWidth(float[][] labels, int c, String what) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i].length != c) throw new IllegalArgumentException(what + " label " + i + " has " + labels[i].length + " classes, expected " + c);
        }
    }

    /** Every figure from one pass over the queries. */
    public static final class Report {
        public final int topK, bits;
        public final double map;
        public final double[] precisionByRadius, recallByRadius;
        public final int[] precisionAtN;
        public final double[] precisionAtNValues;

        Report(int topK, int bits, double map, double[] p, double[] r, int[] ns, double[] pn) {
            this.topK = topK;
            this.bits = bits;
            this.map = map;
            this.precisionByRadius = p;
            this.recallByRadius = r;
            this.precisionAtN = ns;
            this.precisionAtNValues = pn;
        }

        /** P@H<=r. */
        public double precisionWithinRadius(int r) {
            return precisionByRadius[Math.min(r, bits)];
        }
    }

    public double meanAveragePrecision(int topK) {
        return evaluate(topK, new int[0]).map;
    }

    public double precisionWithinRadius(int r) {
        return evaluate(0, new int[0]).precisionWithinRadius(r);
    }

    public double[] precisionAtN(int[] ns) {
        return evaluate(0, ns).precisionAtNValues;
    }

    public Report evaluate(int topK, int[] ns) {
        int m = database.size(), bits = queries.bits(), w = queries.wordsPerCode();
        int k = topK <= 0 || topK > m ? m : topK;
        long[] qw = queries.words(), dw = database.words();
        int[] dist = new int[m], order = new int[m], start = new int[bits + 2];
        boolean[] relevant = new boolean[m];
        double mapSum = 0;
        double[] pSum = new double[bits + 1], rSum = new double[bits + 1], pnSum = new double[ns.length];
        for (int q = 0; q < queries.size(); q++) {
            java.util.Arrays.fill(start, 0);
            int totalRelevant = 0;
            for (int i = 0; i < m; i++) {
                dist[i] = PackedCodes.hamming(qw, q * w, dw, i * w, w);
                start[dist[i] + 1]++;
                relevant[i] = shares(queryLabels[q], databaseLabels[i]);
                if (relevant[i]) totalRelevant++;
            }
            // PR by radius straight from per-distance counts
            int within = 0, relevantWithin = 0;
            int[] relAt = new int[bits + 1];
            for (int i = 0; i < m; i++) if (relevant[i]) relAt[dist[i]]++;
            for (int r = 0; r <= bits; r++) {
                within += start[r + 1];
                relevantWithin += relAt[r];
                pSum[r] += within == 0 ? 0 : (double) relevantWithin / within;
                rSum[r] += totalRelevant == 0 ? 0 : (double) relevantWithin / totalRelevant;
            }
            // stable counting sort: rank by distance, ties by database position
            for (int r = 1; r <= bits + 1; r++) start[r] += start[r - 1];
            for (int i = 0; i < m; i++) order[start[dist[i]]++] = i;
            double ap = 0;
            int hits = 0;
            for (int rank = 0; rank < k; rank++) {
                if (relevant[order[rank]]) {
                    hits++;
                    ap += (double) hits / (rank + 1);
                }
            }
            mapSum += hits == 0 ? 0 : ap / hits;
            for (int j = 0; j < ns.length; j++) {
                int n = Math.min(ns[j], m), rel = 0;
                for (int rank = 0; rank < n; rank++) if (relevant[order[rank]]) rel++;
                pnSum[j] += n == 0 ? 0 : (double) rel / n;
            }
        }
        int nq = Math.max(1, queries.size());
        double[] p = new double[bits + 1], r = new double[bits + 1], pn = new double[ns.length];
        for (int i = 0; i <= bits; i++) {
            p[i] = pSum[i] / nq;
            r[i] = rSum[i] / nq;
        }
        for (int j = 0; j < ns.length; j++) pn[j] = pnSum[j] / nq;
        return new Report(topK, bits, mapSum / nq, p, r, ns.clone(), pn);
    }

    static boolean shares(float[] a, float[] b) {
        for (int c = 0; c < a.length; c++) if (a[c] > 0 && b[c] > 0) return true;
        return false;
    }
}
