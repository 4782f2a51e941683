package io.mlh.jobs.index;

import io.mlh.core.search.Refinement;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One query's nearest database rows found so far, best first: ascending distance, ties by ascending
 * id, with each one's re-ranking score when the search re-ranks ({@link #refined} gives the final order). Each database partition contributes its own top k; {@link #merge} of two lists keeps the top k
 * of their union, so merging every partition's list in any order gives the exact top k.
 */
final class Neighbours implements Serializable {
    private static final long serialVersionUID = 1L;

    final long[] ids;
    final int[] distances;
    /** Item i's labels (bit set) at [i * labelWords, (i + 1) * labelWords). */
    final long[] labels;

    final int labelWords;
    /** Item i's re-ranking score (the cosine of the int8 continuous codes); null without re-ranking. */
    final double[] scores;

    Neighbours(long[] ids, int[] distances, long[] labels, int labelWords, double[] scores) {
        this.ids = ids;
        this.distances = distances;
        this.labels = labels;
        this.labelWords = labelWords;
        this.scores = scores;
    }

    int size() {
        return ids.length;
    }

    /** The best {@code k} of {@code a} and {@code b} (each best first, their ids disjoint). */
    static Neighbours merge(Neighbours a, Neighbours b, int k) {
        int n = Math.min(k, a.size() + b.size()), w = a.labelWords, i = 0, j = 0;
        long[] ids = new long[n], labels = new long[n * w];
        int[] distances = new int[n];
        double[] scores = a.scores == null ? null : new double[n];
        for (int o = 0; o < n; o++) {
            boolean fromA = j == b.size()
                    || (i < a.size()
                            && (a.distances[i] < b.distances[j]
                                    || (a.distances[i] == b.distances[j] && a.ids[i] < b.ids[j])));
            Neighbours from = fromA ? a : b;
            int at = fromA ? i++ : j++;
            ids[o] = from.ids[at];
            distances[o] = from.distances[at];
            if (scores != null) scores[o] = from.scores[at];
            System.arraycopy(from.labels, at * w, labels, o * w, w);
        }
        return new Neighbours(ids, distances, labels, w, scores);
    }

    /**
     * The final list of a query: the first {@code refine.candidates} of this exact Hamming list
     * reordered by score ({@link Refinement#before}), the rest in Hamming order, cut to {@code k}.
     */
    Neighbours refined(Refinement refine, int k) {
        int r = refine.within(size()), n = Math.min(k, size());
        int[] best = Refinement.order(scores, ids, r);
        long[] outIds = new long[n], outLabels = new long[n * labelWords];
        int[] outDistances = new int[n];
        double[] outScores = new double[n];
        for (int o = 0; o < n; o++) {
            int at = o < r ? best[o] : o;
            outIds[o] = ids[at];
            outDistances[o] = distances[at];
            outScores[o] = scores[at];
            System.arraycopy(labels, at * labelWords, outLabels, o * labelWords, labelWords);
        }
        return new Neighbours(outIds, outDistances, outLabels, labelWords, outScores);
    }

    /** Item i's labels as a multi-hot vector of {@code width} classes. */
    int[] labels(int i, int width) {
        int[] y = new int[width];
        for (int c = 0; c < width; c++) y[c] = (int) (labels[i * labelWords + (c >>> 6)] >>> (c & 63)) & 1;
        return y;
    }

    @Override
    public String toString() {
        return "Neighbours" + Arrays.toString(ids) + " at " + Arrays.toString(distances);
    }
}
