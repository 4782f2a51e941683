package io.mlh.core.search;

import java.io.Serializable;
import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * The second stage of retrieval: the exact Hamming order (distance, then id), then its first R
 * candidates reordered by the cosine of their continuous codes ({@link io.mlh.core.codes.Int8Codes}),
 * higher first, equal cosines by id; candidates after the first R keep their Hamming order. R = 0
 * ({@link #NONE}) is the Hamming order itself. One definition for every place that ranks (the evaluate
 * job's metrics, the search job's neighbours, the query service): {@link #before} is the order of two
 * candidates within the R.
 */
public final class Refinement implements Serializable {
    private static final long serialVersionUID = 1L;

    /** No second stage. */
    public static final Refinement NONE = new Refinement(0);

    /** Candidates re-ranked; 0: none. */
    public final int candidates;

    private Refinement(int candidates) {
        this.candidates = candidates;
    }

    /** The first {@code r} Hamming candidates re-ranked (r >= 1). */
    public static Refinement top(int r) {
        if (r < 1) throw new IllegalArgumentException("re-ranking needs at least 1 candidate, got " + r);
        return new Refinement(r);
    }

    public boolean reranks() {
        return candidates > 0;
    }

    /** Candidates re-ranked out of a list of {@code length}. */
    public int within(int length) {
        return Math.min(candidates, length);
    }

    /** Whether a candidate of cosine {@code scoreA} and id {@code idA} ranks before one of {@code scoreB}, {@code idB}. */
    public static boolean before(double scoreA, long idA, double scoreB, long idB) {
        return scoreA > scoreB || (scoreA == scoreB && idA < idB);
    }

    /**
     * Reorders the first {@link #within} entries of {@code order} (database positions in Hamming order,
     * a position standing for the id) by {@link #before} with {@code score} of each position, in place;
     * {@code scores}, when not null, receives the first entries' scores in their new order.
     */
    public void rerank(int[] order, int length, IntToDoubleFunction score, double[] scores) {
        int r = within(length);
        if (r == 0) return;
        double[] s = new double[r];
        long[] ids = new long[r];
        for (int i = 0; i < r; i++) {
            s[i] = score.applyAsDouble(order[i]);
            ids[i] = order[i];
        }
        int[] best = order(s, ids, r);
        for (int i = 0; i < r; i++) {
            order[i] = (int) ids[best[i]];
            if (scores != null) scores[i] = s[best[i]];
        }
    }

    /** The indices of the first {@code n} candidates (scores and ids at the same index) in the refined order, best first. */
    public static int[] order(double[] scores, long[] ids, int n) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> before(scores[a], ids[a], scores[b], ids[b]) ? -1 : a.equals(b) ? 0 : 1);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = order[i];
        return out;
    }

    @Override
    public String toString() {
        return reranks() ? "refine " + candidates : "none";
    }
}
