package io.mlh.jobs.evaluate;

import java.io.Serializable;

/**
 * What evaluation pass 2 needs to know of the global ranking, built on the driver from pass 1 and
 * broadcast. A (query, distance) cell of a partition holds items whose global ranks are consecutive
 * (ranks go by distance, then id, and partitions are id ranges), so one offset per cell places each
 * of them: the items, and the relevant items, ranked before the cell's first. Sizes depend on
 * partitions, queries and bits, never on rows.
 */
final class RankOffsets implements Serializable {
    private static final long serialVersionUID = 1L;

    final int span;
    /** The rank cuts: cuts[0] = K (mAP@K), cuts[1 + j] = the j-th N of precision@N; each capped at the database size. */
    final int[] cuts;
    /** Per query: the largest distance whose items can still rank within the largest cut (pass 2 skips the rest). */
    final int[] reach;
    /** The Hamming ranks 1..refined are re-ranked ({@code jobs.rerank}): pass 2 returns those items, not their sums. */
    final int refined;
    /** Per RDD partition index: its rows, first and last id as pass 1 saw them (pass 2 must see the same). */
    final long[] rows, firstIds, lastIds;
    /** Per RDD partition index (null when empty), at q * span + d: items and relevant items ranked before that cell. */
    final int[][] itemsBefore, relevantBefore;

    RankOffsets(int span, int[] cuts, int[] reach, int refined, int partitions) {
        this.span = span;
        this.cuts = cuts;
        this.reach = reach;
        this.refined = refined;
        this.rows = new long[partitions];
        this.firstIds = new long[partitions];
        this.lastIds = new long[partitions];
        this.itemsBefore = new int[partitions][];
        this.relevantBefore = new int[partitions][];
    }
}
