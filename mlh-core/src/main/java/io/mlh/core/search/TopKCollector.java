package io.mlh.core.search;

import java.util.Arrays;

/**
 * One query's running top-k, fed database items in ascending position order.
 *
 * <p>It keeps a distance bound: an item can only make the top k if its distance is {@code <= bound()}, so
 * the scan does one compare per pair and calls {@link #offer} only for the rare item that passes. Because
 * items arrive in ascending position, an item whose distance ties the k-th best so far ranks after all k
 * of them and is out too; the bound is therefore one below the k-th best distance once k items are in.
 * Distances are small integers (0..bits), so per-distance counts find the new bound without sorting.
 *
 * <p>Passing items go to a buffer of (distance, position) pairs, one long each. When the buffer fills, it
 * is cut back to the at most k items that can still rank; the exact top k is selected once, at the end,
 * by a counting sort over distance.
 *
 * <p>The scan may start with a bound below {@code bits} (a guess from a sample of the database): then
 * items beyond it are never seen, which is exact only if k items turn out to be within it. {@link
 * #complete()} says whether they were; if not, the caller ranks the query again from the full bound.
 */
final class TopKCollector {
    private final int k;
    private final int[] count; // buffered items at each distance 0..bits
    private long[] buffer;
    private int size;
    private int bound; // offer only items with distance <= bound; -1: nothing more can rank
    private int within; // buffered items with distance <= bound, always < k
    private int startBound;
    private boolean lowered; // k items were within the start bound at some point

    /** A collector for the best k (>= 1) items of codes of {@code bits} bits. */
    TopKCollector(int k, int bits) {
        this.k = k;
        this.count = new int[bits + 2];
        this.buffer = new long[Math.min(2 * k, 1024)];
        reset();
    }

    /** Ready for a new query, offering every item until k are in. */
    void reset() {
        reset(bits());
    }

    /**
     * Ready for a new query, offering only items at distance {@code <= startBound} from the start. That is
     * exact if at least k items turn out to be that near; {@link #complete()} says whether they were.
     */
    void reset(int startBound) {
        Arrays.fill(count, 0);
        size = 0;
        within = 0;
        bound = Math.min(startBound, bits());
        this.startBound = bound;
        lowered = false;
    }

    private int bits() {
        return count.length - 2;
    }

    /** Whether the items offered hold the top k: k of them were within the start bound, or it held all. */
    boolean complete() {
        return lowered || startBound == bits();
    }

    /** Never accepts anything: pads a query tile so scan loops need no remainder case. */
    void disable() {
        bound = -1;
    }

    int bound() {
        return bound;
    }

    /**
     * Adds the item at database position {@code index} with distance {@code d <= bound()}, at a position
     * above every earlier offer, and returns the new bound.
     */
    int offer(int index, int d) {
        if (size == buffer.length) makeRoom();
        buffer[size++] = ((long) d << 32) | index;
        count[d]++;
        if (++within == k) {
            lowered = true;
            // the k-th best distance b: the smallest with at least k items at or below it
            while (within - count[bound] >= k) within -= count[bound--];
            // later items at distance b tie it and rank after the k already in
            within -= count[bound--];
        }
        return bound;
    }

    private void makeRoom() {
        int kept = prune();
        if (kept * 2 > buffer.length) buffer = Arrays.copyOf(buffer, Math.max(2 * kept, 2 * buffer.length));
    }

    /**
     * Drops items that can no longer rank: those beyond distance bound + 1, and those at bound + 1 after
     * the first k - within (which, with the {@code within} items below, already fill the top k).
     * Returns the number kept, at most k.
     */
    private int prune() {
        int keepTied = k - within, kept = 0;
        for (int i = 0; i < size; i++) {
            long e = buffer[i];
            int d = (int) (e >>> 32);
            if (d <= bound || (d == bound + 1 && keepTied-- > 0)) buffer[kept++] = e;
        }
        for (int d = bound + 2; d < count.length; d++) count[d] = 0;
        if (bound + 1 < count.length) count[bound + 1] = Math.min(count[bound + 1], k - within);
        size = kept;
        return kept;
    }

    /**
     * Writes the best k items in rank order to {@code indices} and {@code distances} at {@code from}, and
     * returns how many were written: k, or fewer if fewer items were offered.
     */
    int finish(int[] indices, int[] distances, int from) {
        int n = prune(); // at most k left, still in position order
        // a counting sort by distance keeps position order within a distance: the ranking, in O(k + bits)
        Arrays.fill(count, 0);
        for (int i = 0; i < n; i++) count[(int) (buffer[i] >>> 32)]++;
        for (int d = 0, start = from; d < count.length; d++) {
            int c = count[d];
            count[d] = start;
            start += c;
        }
        for (int i = 0; i < n; i++) {
            long e = buffer[i];
            int d = (int) (e >>> 32), at = count[d]++;
            distances[at] = d;
            indices[at] = (int) e;
        }
        return n;
    }
}
