package io.mlh.jobs.evaluate;

import io.mlh.core.search.Refinement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Every query's ranking of the whole database (by distance, ties by ascending id), held on the
 * driver only as far as the metrics need it and never item by item: from pass 1, per-distance counts
 * of all and of relevant items ({@link DistanceCounts}); from pass 2, per query the AP numerator and
 * the relevant items within each cut ({@link CutSums}). Driver memory is queries x partitions x
 * (bits + 1) counts at most, whatever the database size. The metric arithmetic mirrors
 * {@link io.mlh.core.eval.RetrievalMetrics}; only the order in which the AP terms are added differs
 * (partition by partition), so the figures agree with it to rounding.
 */
final class Ranking {
    final int queries, bits, database;
    /** Summed over partitions: items and relevant items of query q at distance d, at q * (bits + 1) + d. */
    final int[] items, relevant;
    /** RDD partition indices of the non-empty partitions, in id order: the ranking's order. */
    private final int[] order;

    private final List<DistanceCounts> parts;
    private int[] cuts;
    /** Per query, from pass 2: the AP numerator, and at q * cuts + c its relevant items within cut c. */
    private double[] precisionSums;

    private int[] within;
    /** Hamming ranks 1..refined re-ranked (0: none), as given to {@link #offsets}. */
    private int refined;

    private Ranking(int queries, int bits, int database, int[] items, int[] relevant, List<DistanceCounts> parts) {
        this.queries = queries;
        this.bits = bits;
        this.database = database;
        this.items = items;
        this.relevant = relevant;
        this.parts = parts;
        this.order = new int[parts.size()];
        for (int p = 0; p < order.length; p++) order[p] = parts.get(p).partition;
    }

    /** The ranking's counts from every partition's pass-1 counts. */
    static Ranking of(List<DistanceCounts> counts, int queries, int bits) {
        List<DistanceCounts> parts = new ArrayList<>();
        for (DistanceCounts p : counts) if (p.rows > 0) parts.add(p);
        parts.sort(Comparator.comparingLong(p -> p.firstId));
        long database = 0;
        for (int p = 0; p < parts.size(); p++) {
            // the offsets rely on partitions being disjoint id ranges
            if (p > 0 && parts.get(p).firstId <= parts.get(p - 1).lastId) {
                throw new IllegalStateException("database partitions overlap in ids: [" + parts.get(p - 1).firstId
                        + ", " + parts.get(p - 1).lastId + "] and [" + parts.get(p).firstId + ", " + parts.get(p).lastId
                        + "]");
            }
            database += parts.get(p).rows;
        }
        if (database > Integer.MAX_VALUE)
            throw new IllegalArgumentException("the database has more than 2^31 - 1 rows");
        int span = bits + 1;
        int[] items = new int[queries * span], relevant = new int[queries * span];
        for (DistanceCounts p : parts) {
            for (int i = 0; i < items.length; i++) {
                items[i] += p.items[i];
                relevant[i] += p.relevant[i];
            }
        }
        return new Ranking(queries, bits, (int) database, items, relevant, parts);
    }

    /**
     * The offsets pass 2 needs for mAP@{@code mapAt} (0 = the whole database) and precision@N for each
     * of {@code ns}, over an RDD of {@code partitions} partitions. Turns the pass-1 counts into the
     * offsets in place (no second copy on the driver), so it can run once.
     */
    RankOffsets offsets(int mapAt, int[] ns, Refinement refine, int partitions) {
        if (cuts != null) throw new IllegalStateException("offsets were already made");
        cuts = new int[1 + ns.length];
        cuts[0] = mapAt <= 0 || mapAt > database ? database : mapAt;
        refined = refine.within(database);
        int largest = Math.max(cuts[0], refined);
        for (int j = 0; j < ns.length; j++) largest = Math.max(largest, cuts[1 + j] = Math.min(ns[j], database));
        int span = bits + 1;
        int[] reach = new int[queries];
        for (int q = 0; q < queries; q++) {
            int d = 0;
            for (long upTo = items[q * span]; upTo < largest; upTo += items[q * span + d]) d++;
            reach[q] = d;
        }
        RankOffsets o = new RankOffsets(span, cuts, reach, refined, partitions);
        for (int q = 0; q < queries; q++) {
            long itemsBelow = 0, relevantBelow = 0; // every item at smaller distances ranks before the cell
            for (int cell = q * span; cell < (q + 1) * span; cell++) {
                long itemsAhead = itemsBelow, relevantAhead = relevantBelow; // then the earlier partitions' part of it
                for (DistanceCounts p : parts) {
                    int n = p.items[cell], r = p.relevant[cell];
                    p.items[cell] = (int) itemsAhead;
                    p.relevant[cell] = (int) relevantAhead;
                    itemsAhead += n;
                    relevantAhead += r;
                }
                itemsBelow += items[cell];
                relevantBelow += relevant[cell];
            }
        }
        for (DistanceCounts p : parts) {
            o.rows[p.partition] = p.rows;
            o.firstIds[p.partition] = p.firstId;
            o.lastIds[p.partition] = p.lastId;
            o.itemsBefore[p.partition] = p.items;
            o.relevantBefore[p.partition] = p.relevant;
        }
        parts.clear();
        return o;
    }

    /**
     * Adds up every partition's pass-2 sums, in the ranking's partition order (the same on every run);
     * with re-ranking, first the sums of each query's first R in their refined order.
     */
    void add(List<CutSums> sums) {
        CutSums[] byPartition = new CutSums[order.length == 0 ? 0 : max(order) + 1];
        for (CutSums s : sums) if (s.partition < byPartition.length) byPartition[s.partition] = s;
        precisionSums = new double[queries];
        within = new int[queries * cuts.length];
        List<RefineCandidates> candidates = new ArrayList<>();
        for (int p : order) {
            CutSums s = byPartition[p];
            if (s == null) throw new IllegalStateException("no pass-2 sums from database partition " + p);
            for (int q = 0; q < queries; q++) precisionSums[q] += s.precisionSums[q];
            for (int i = 0; i < within.length; i++) within[i] += s.within[i];
            if (s.candidates != null) candidates.add(s.candidates);
        }
        if (refined > 0) addRefined(RefineCandidates.join(candidates, queries));
    }

    /** The sums of ranks 1..R, each query's candidates in the refined order. */
    private void addRefined(RefineCandidates all) {
        int nc = cuts.length, k = cuts[0];
        for (int q = 0; q < queries; q++) {
            if (all.count(q) != refined)
                throw new IllegalStateException(
                        "query " + q + " has " + all.count(q) + " re-ranking candidates, not " + refined);
            boolean[] relevantAt = all.relevanceInRefinedOrder(q);
            int hits = 0;
            for (int rank = 1; rank <= refined; rank++) {
                if (!relevantAt[rank - 1]) continue;
                hits++;
                if (rank <= k) precisionSums[q] += (double) hits / rank;
                for (int c = 0; c < nc; c++) if (rank <= cuts[c]) within[q * nc + c]++;
            }
        }
    }

    /** mAP@K, K as given to {@link #offsets}. */
    double meanAveragePrecision() {
        double sum = 0;
        for (int q = 0; q < queries; q++) {
            int hits = within[q * cuts.length];
            sum += hits == 0 ? 0 : precisionSums[q] / hits;
        }
        return sum / Math.max(1, queries);
    }

    /** precision@N for the j-th N given to {@link #offsets}: relevant among the first N ranked / N, N capped at the database size. */
    double precisionAt(int j) {
        int n = cuts[1 + j];
        double sum = 0;
        for (int q = 0; q < queries; q++) sum += n == 0 ? 0 : (double) within[q * cuts.length + 1 + j] / n;
        return sum / Math.max(1, queries);
    }

    /** Mean precision (row 0) and recall (row 1) within Hamming radius r = 0..bits. */
    double[][] precisionRecallByRadius() {
        int span = bits + 1;
        double[] p = new double[span], rc = new double[span];
        for (int q = 0; q < queries; q++) {
            int total = 0;
            for (int d = 0; d < span; d++) total += relevant[q * span + d];
            int within = 0, relevantWithin = 0;
            for (int r = 0; r < span; r++) {
                within += items[q * span + r];
                relevantWithin += relevant[q * span + r];
                p[r] += within == 0 ? 0 : (double) relevantWithin / within;
                rc[r] += total == 0 ? 0 : (double) relevantWithin / total;
            }
        }
        int nq = Math.max(1, queries);
        for (int r = 0; r < span; r++) {
            p[r] /= nq;
            rc[r] /= nq;
        }
        return new double[][] {p, rc};
    }

    private static int max(int[] a) {
        int m = a[0];
        for (int v : a) m = Math.max(m, v);
        return m;
    }
}
