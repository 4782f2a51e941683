package io.mlh.jobs.evaluate;

import io.mlh.core.search.Refinement;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * Per query, the database items of Hamming rank up to R (evaluation with re-ranking): their ids,
 * re-ranking scores and relevance. A partition's pass 2 gathers its share; the driver joins every
 * partition's ({@link #join}) and orders each query's R by {@link Refinement#before}. At most
 * queries x R entries on the driver (R = jobs.rerank.candidates).
 */
final class RefineCandidates implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long[][] ids;
    private final double[][] scores;
    private final boolean[][] relevant;
    private final int[] count;

    RefineCandidates(int queries) {
        ids = new long[queries][];
        scores = new double[queries][];
        relevant = new boolean[queries][];
        count = new int[queries];
        for (int q = 0; q < queries; q++) {
            ids[q] = new long[8];
            scores[q] = new double[8];
            relevant[q] = new boolean[8];
        }
    }

    void add(int q, long id, double score, boolean isRelevant) {
        int n = count[q]++;
        if (n == ids[q].length) {
            ids[q] = Arrays.copyOf(ids[q], 2 * n);
            scores[q] = Arrays.copyOf(scores[q], 2 * n);
            relevant[q] = Arrays.copyOf(relevant[q], 2 * n);
        }
        ids[q][n] = id;
        scores[q][n] = score;
        relevant[q][n] = isRelevant;
    }

    /** Every partition's candidates of each query together (in any order: the refined order is total). */
    static RefineCandidates join(List<RefineCandidates> parts, int queries) {
        RefineCandidates all = new RefineCandidates(queries);
        for (RefineCandidates p : parts)
            for (int q = 0; q < queries; q++)
                for (int i = 0; i < p.count[q]; i++) all.add(q, p.ids[q][i], p.scores[q][i], p.relevant[q][i]);
        return all;
    }

    int count(int q) {
        return count[q];
    }

    /** Query q's candidates' relevance in the refined order: higher score first, equal scores by id. */
    boolean[] relevanceInRefinedOrder(int q) {
        int[] order = Refinement.order(scores[q], ids[q], count[q]);
        boolean[] out = new boolean[order.length];
        for (int i = 0; i < order.length; i++) out[i] = relevant[q][order[i]];
        return out;
    }
}
