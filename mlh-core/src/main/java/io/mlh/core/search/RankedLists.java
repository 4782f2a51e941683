package io.mlh.core.search;

import java.util.Arrays;

/**
 * The top-k database items of each query, best first: ascending Hamming distance, ties by ascending
 * database position. Every query has exactly {@link #k()} entries, where k is the number asked for capped
 * at the database size.
 */
public final class RankedLists {
    private final int queries, k;
    // query q's list is at [q * k, (q + 1) * k)
    private final int[] indices, distances;

    RankedLists(int queries, int k, int[] indices, int[] distances) {
        this.queries = queries;
        this.k = k;
        this.indices = indices;
        this.distances = distances;
    }

    public int queries() {
        return queries;
    }

    /** Entries per query: min(k asked for, database size). */
    public int k() {
        return k;
    }

    /** Database position of query q's item at {@code rank} (0 = nearest). */
    public int index(int q, int rank) {
        return indices[offset(q, rank)];
    }

    /** Hamming distance from query q to its item at {@code rank}. */
    public int distance(int q, int rank) {
        return distances[offset(q, rank)];
    }

    /** A copy of query q's database positions, in rank order. */
    public int[] indices(int q) {
        return Arrays.copyOfRange(indices, start(q), start(q) + k);
    }

    /** A copy of query q's distances, in rank order (non-decreasing). */
    public int[] distances(int q) {
        return Arrays.copyOfRange(distances, start(q), start(q) + k);
    }

    private int offset(int q, int rank) {
        if (rank < 0 || rank >= k) throw new IndexOutOfBoundsException("rank " + rank + " of " + k);
        return start(q) + rank;
    }

    private int start(int q) {
        if (q < 0 || q >= queries) throw new IndexOutOfBoundsException("query " + q + " of " + queries);
        return q * k;
    }
}
