package io.mlh.jobs.index;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One query's nearest database rows found so far, best first: ascending distance, ties by ascending
 * id. Each database partition contributes its own top k; {@link #merge} of two lists keeps the top k
 * of their union, so merging every partition's list in any order gives the exact top k.
 */
final class Neighbours implements Serializable {
    private static final long serialVersionUID = 1L;

    final long[] ids;
    final int[] distances;
    /** Item i's labels (bit set) at [i * labelWords, (i + 1) * labelWords). */
    final long[] labels;

    final int labelWords;

    Neighbours(long[] ids, int[] distances, long[] labels, int labelWords) {
        this.ids = ids;
        this.distances = distances;
        this.labels = labels;
        this.labelWords = labelWords;
    }

    int size() {
        return ids.length;
    }

    /** The best {@code k} of {@code a} and {@code b} (each best first, their ids disjoint). */
    static Neighbours merge(Neighbours a, Neighbours b, int k) {
        int n = Math.min(k, a.size() + b.size()), w = a.labelWords, i = 0, j = 0;
        long[] ids = new long[n], labels = new long[n * w];
        int[] distances = new int[n];
        for (int o = 0; o < n; o++) {
            boolean fromA = j == b.size()
                    || (i < a.size()
                            && (a.distances[i] < b.distances[j]
                                    || (a.distances[i] == b.distances[j] && a.ids[i] < b.ids[j])));
            Neighbours from = fromA ? a : b;
            int at = fromA ? i++ : j++;
            ids[o] = from.ids[at];
            distances[o] = from.distances[at];
            System.arraycopy(from.labels, at * w, labels, o * w, w);
        }
        return new Neighbours(ids, distances, labels, w);
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
