package io.mlh.core.eval;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.Refinement;
import java.util.Arrays;
import java.util.Objects;

/**
 * Retrieval quality of query codes against database codes, following the deep-hashing protocol
 * (DeepHash-pytorch's {@code CalcTopMap}).
 *
 * <p>Labels are multi-hot {@code float[][]}, one row per code. This matches {@code LabelledImages}.
 * A class counts as positive when its value is {@code > 0}. A database item is relevant to a query
 * when the two label rows share at least one positive class. Each query ranks the whole database by
 * Hamming distance. Ties go to the lower database position. With a {@link Refinement}, the first R of
 * that ranking are reordered by the cosine of the int8 continuous codes (ties again by position).
 *
 * <ul>
 *   <li>mAP@K: AP = mean over the relevant items in the top K of (relevant items up to and including
 *       that rank / rank). A query with no relevant item in its top K scores 0 and still counts, so the
 *       divisor is always the number of queries. K <= 0 or K >= database size means the whole database.
 *   <li>PR curve: at every radius r = 0..bits, precision = (relevant within distance r) / (items within
 *       r), or 0 when nothing is within r. Recall = (relevant within r) / (relevant in the whole
 *       database), or 0 when the query has no relevant item at all. Both are averaged over queries.
 *       P@H<=2 is the precision at r = 2.
 *   <li>precision@N: (relevant among the first N ranked items) / N. If N exceeds the database size,
 *       the divisor is the database size.
 * </ul>
 *
 * <p>With no queries, every figure is 0. The label arrays are read once, in the constructor, and are
 * not kept.
 *
 * <p>Cost: one pass per query computes every distance once. A stable counting sort over distances
 * 0..bits gives the exact ranking in O(database + bits), and every metric shares that ranking. Queries
 * run one after another, and their figures are summed in query order, so results are bit-identical
 * from run to run.
 */
public final class RetrievalMetrics {
    private final PackedCodes queries, database;
    // labels as bit sets, one bit a class: "shares a positive class" becomes an AND over a few words
    private final long[] queryLabels, databaseLabels;
    private final int labelWords;

    /**
     * @throws IllegalArgumentException if the two code sets differ in bits, a label array's length is not
     *     its code count, or label rows differ in length (the message says which)
     */
    public RetrievalMetrics(
            PackedCodes queries, float[][] queryLabels, PackedCodes database, float[][] databaseLabels) {
        Objects.requireNonNull(queries, "queries");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(queryLabels, "queryLabels");
        Objects.requireNonNull(databaseLabels, "databaseLabels");
        if (queries.bits() != database.bits()) {
            throw new IllegalArgumentException(
                    "query codes have " + queries.bits() + " bits, database codes " + database.bits());
        }
        if (queryLabels.length != queries.size()) {
            throw new IllegalArgumentException(
                    queryLabels.length + " query label rows for " + queries.size() + " query codes");
        }
        if (databaseLabels.length != database.size()) {
            throw new IllegalArgumentException(
                    databaseLabels.length + " database label rows for " + database.size() + " database codes");
        }
        int classes = queryLabels.length > 0
                ? queryLabels[0].length
                : databaseLabels.length > 0 ? databaseLabels[0].length : 0;
        this.labelWords = PackedCodes.wordsFor(classes);
        this.queryLabels = packLabels(queryLabels, classes, "query");
        this.databaseLabels = packLabels(databaseLabels, classes, "database");
        this.queries = queries;
        this.database = database;
    }

    private long[] packLabels(float[][] labels, int classes, String what) {
        long[] packed = new long[labels.length * labelWords];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i].length != classes) {
                throw new IllegalArgumentException(
                        what + " label row " + i + " has " + labels[i].length + " classes, expected " + classes);
            }
            for (int c = 0; c < classes; c++) {
                if (labels[i][c] > 0) packed[i * labelWords + (c >>> 6)] |= 1L << (c & 63);
            }
        }
        return packed;
    }

    /** Precision and recall at every Hamming radius 0..bits, averaged over queries. */
    public static final class PrCurve {
        public final int bits;
        /** precision[r] and recall[r] for r = 0..bits. Read only. */
        public final double[] precision, recall;

        PrCurve(int bits, double[] precision, double[] recall) {
            this.bits = bits;
            this.precision = precision;
            this.recall = recall;
        }

        /** Precision within radius r. A radius above {@code bits} takes in the whole database, like r = bits. */
        public double precisionAtRadius(int r) {
            return precision[radius(r)];
        }

        /** Recall within radius r, capped at {@code bits} the same way. */
        public double recallAtRadius(int r) {
            return recall[radius(r)];
        }

        private int radius(int r) {
            if (r < 0) throw new IllegalArgumentException("radius must be >= 0, got " + r);
            return Math.min(r, bits);
        }
    }

    /** Every figure from one pass over the queries. */
    public static final class Report {
        /** The K that was asked for (<= 0 means the whole database), and the code length. */
        public final int topK, bits;
        /** mAP@topK. */
        public final double map;

        public final PrCurve curve;
        /** The same arrays as {@code curve.precision} and {@code curve.recall}. Read only. */
        public final double[] precisionByRadius, recallByRadius;
        /** P@H<=2, the precision at radius 2. */
        public final double precisionWithinRadius2;
        /** The N values asked for, and precision@N for each, in the same order. */
        public final int[] precisionAtN;

        public final double[] precisionAtNValues;

        Report(int topK, double map, PrCurve curve, int[] ns, double[] pn) {
            this.topK = topK;
            this.bits = curve.bits;
            this.map = map;
            this.curve = curve;
            this.precisionByRadius = curve.precision;
            this.recallByRadius = curve.recall;
            this.precisionWithinRadius2 = curve.precisionAtRadius(2);
            this.precisionAtN = ns;
            this.precisionAtNValues = pn;
        }

        /** P@H<=r. */
        public double precisionWithinRadius(int r) {
            return curve.precisionAtRadius(r);
        }
    }

    /** mAP over the top K items (K <= 0 or K >= database size: the whole database). */
    public double meanAveragePrecision(int topK) {
        return evaluate(topK, new int[0]).map;
    }

    public PrCurve prCurve() {
        return evaluate(0, new int[0]).curve;
    }

    /** Precision within Hamming radius r, averaged over queries (r = 2 gives P@H<=2). */
    public double precisionWithinRadius(int r) {
        return prCurve().precisionAtRadius(r);
    }

    /** precision@N for each N in {@code ns}. Each N must be >= 1. */
    public double[] precisionAtN(int[] ns) {
        return evaluate(0, ns).precisionAtNValues;
    }

    /**
     * All figures from one pass: mAP@topK, the PR curve, P@H<=2 and precision@N for each N in
     * {@code ns}, where each N must be >= 1.
     */
    public Report evaluate(int topK, int[] ns) {
        return evaluate(topK, ns, Refinement.NONE, null, null);
    }

    /**
     * As {@link #evaluate(int, int[])} with each query's ranking re-ranked by {@code refine} on the int8
     * continuous codes of the queries and of the database (in the positions of the sign codes; ties by
     * database position). mAP and precision@N follow the re-ranked order; the PR curve counts the items
     * within each radius, which no reordering changes.
     */
    public Report evaluate(int topK, int[] ns, Refinement refine, Int8Codes queryInt8, Int8Codes databaseInt8) {
        for (int n : ns) if (n < 1) throw new IllegalArgumentException("precision@N needs N >= 1, got " + n);
        if (refine.reranks()) {
            if (queryInt8 == null || databaseInt8 == null)
                throw new IllegalArgumentException(refine + " needs int8 codes");
            if (queryInt8.size() != queries.size() || databaseInt8.size() != database.size())
                throw new IllegalArgumentException(queryInt8.size() + " and " + databaseInt8.size() + " int8 codes for "
                        + queries.size() + " query and " + database.size() + " database codes");
        }
        int m = database.size(), nq = queries.size(), bits = queries.bits(), w = queries.wordsPerCode();
        int k = topK <= 0 || topK > m ? m : topK;
        long[] qw = queries.words(), dw = database.words();

        // per-query scratch, reused across queries
        int[] dist = new int[m], order = new int[m];
        boolean[] relevant = new boolean[m];
        int[] atDistance = new int[bits + 1], relevantAtDistance = new int[bits + 1], next = new int[bits + 1];
        int[] hitsUpTo = new int[m + 1]; // hitsUpTo[r] = relevant items among the first r ranked

        double mapSum = 0;
        double[] pSum = new double[bits + 1], rSum = new double[bits + 1], pnSum = new double[ns.length];
        for (int q = 0; q < nq; q++) {
            // 1. distances and relevance, once per pair
            Arrays.fill(atDistance, 0);
            Arrays.fill(relevantAtDistance, 0);
            int totalRelevant = 0;
            for (int i = 0; i < m; i++) {
                int d = PackedCodes.hamming(qw, q * w, dw, i * w, w);
                dist[i] = d;
                atDistance[d]++;
                relevant[i] = shareLabel(q, i);
                if (relevant[i]) {
                    relevantAtDistance[d]++;
                    totalRelevant++;
                }
            }

            // 2. PR curve: items within radius r are the cumulative per-distance counts, no ranking needed
            int within = 0, relevantWithin = 0;
            for (int r = 0; r <= bits; r++) {
                within += atDistance[r];
                relevantWithin += relevantAtDistance[r];
                pSum[r] += within == 0 ? 0 : (double) relevantWithin / within;
                rSum[r] += totalRelevant == 0 ? 0 : (double) relevantWithin / totalRelevant;
            }

            // 3. ranking: a stable counting sort by distance, so ties keep ascending database position
            for (int d = 0, start = 0; d <= bits; d++) {
                next[d] = start;
                start += atDistance[d];
            }
            for (int i = 0; i < m; i++) order[next[dist[i]]++] = i;
            final int query = q;
            refine.rerank(order, m, i -> queryInt8.cosine(query, databaseInt8, i), null);
            for (int rank = 1; rank <= m; rank++)
                hitsUpTo[rank] = hitsUpTo[rank - 1] + (relevant[order[rank - 1]] ? 1 : 0);

            // 4. AP@K over the relevant items in the top K. If none are there, AP is 0 and the query still counts.
            double ap = 0;
            for (int rank = 1; rank <= k; rank++) {
                if (relevant[order[rank - 1]]) ap += (double) hitsUpTo[rank] / rank;
            }
            int hits = hitsUpTo[k];
            mapSum += hits == 0 ? 0 : ap / hits;

            // 5. precision@N, with N capped at the database size
            for (int j = 0; j < ns.length; j++) {
                int n = Math.min(ns[j], m);
                pnSum[j] += n == 0 ? 0 : (double) hitsUpTo[n] / n;
            }
        }

        double div = Math.max(1, nq); // no queries: every figure stays 0
        double[] precision = new double[bits + 1], recall = new double[bits + 1], pn = new double[ns.length];
        for (int r = 0; r <= bits; r++) {
            precision[r] = pSum[r] / div;
            recall[r] = rSum[r] / div;
        }
        for (int j = 0; j < ns.length; j++) pn[j] = pnSum[j] / div;
        return new Report(topK, mapSum / div, new PrCurve(bits, precision, recall), ns.clone(), pn);
    }

    private boolean shareLabel(int q, int i) {
        for (int c = 0; c < labelWords; c++) {
            if ((queryLabels[q * labelWords + c] & databaseLabels[i * labelWords + c]) != 0) return true;
        }
        return false;
    }
}
