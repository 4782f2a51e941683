package io.mlh.jobs.evaluate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Every query's ranking of the whole database, as far as the metrics need it: per-distance counts
 * of all and of relevant items, and the ranks of the relevant items among the first {@code limit}.
 * Assembled on the driver from the partitions' summaries; the metric arithmetic mirrors
 * {@link io.mlh.core.eval.RetrievalMetrics} term by term, in the same order, so the figures are the
 * reference's own.
 */
final class Ranking {
    final int queries, bits, database, limit;
    /** Summed over partitions: items and relevant items of query q at distance d, at q * (bits + 1) + d. */
    final int[] items, relevant;
    /** Per query, ascending: 0-based ranks by (distance, id) of its relevant items ranked below limit. */
    final int[][] relevantRanks;

    private Ranking(int queries, int bits, int database, int limit, int[] items, int[] relevant, int[][] relevantRanks) {
        this.queries = queries;
        this.bits = bits;
        this.database = database;
        this.limit = limit;
        this.items = items;
        this.relevant = relevant;
        this.relevantRanks = relevantRanks;
    }

    static Ranking assemble(List<PartitionSummary> summaries, int queries, int bits, int limit) {
        List<PartitionSummary> parts = new ArrayList<>();
        for (PartitionSummary p : summaries) if (p.rows > 0) parts.add(p);
        parts.sort(Comparator.comparingLong(p -> p.firstId));
        long database = 0;
        for (int p = 0; p < parts.size(); p++) {
            // the placement below relies on partitions being disjoint id ranges
            if (p > 0 && parts.get(p).firstId <= parts.get(p - 1).lastId) {
                throw new IllegalStateException("database partitions overlap in ids: [" + parts.get(p - 1).firstId + ", "
                        + parts.get(p - 1).lastId + "] and [" + parts.get(p).firstId + ", " + parts.get(p).lastId + "]");
            }
            database += parts.get(p).rows;
        }
        int span = bits + 1;
        int[] items = new int[queries * span], relevant = new int[queries * span];
        for (PartitionSummary p : parts) {
            for (int i = 0; i < items.length; i++) {
                items[i] += p.items[i];
                relevant[i] += p.relevant[i];
            }
        }
        int[][] ranks = new int[queries][];
        long[] ahead = new long[span]; // per distance: items ranked before the current partition's items there
        for (int q = 0; q < queries; q++) {
            long below = 0; // items at smaller distances
            for (int d = 0; d < span; d++) {
                ahead[d] = below;
                below += items[q * span + d];
            }
            int n = 0;
            for (PartitionSummary p : parts) n += p.listed[q].length;
            int[] r = new int[n];
            n = 0;
            for (PartitionSummary p : parts) {
                for (long key : p.listed[q]) {
                    long rank = ahead[(int) (key >>> 32)] + (int) key;
                    if (rank < limit) r[n++] = (int) rank;
                }
                for (int d = 0; d < span; d++) ahead[d] += p.items[q * span + d];
            }
            r = Arrays.copyOf(r, n);
            Arrays.sort(r);
            ranks[q] = r;
        }
        return new Ranking(queries, bits, (int) database, limit, items, relevant, ranks);
    }

    /** mAP over the first k ranks (k <= 0: the whole database); needs k <= limit. */
    double meanAveragePrecision(int topK) {
        int k = topK <= 0 || topK > database ? database : topK;
        require(k);
        double sum = 0;
        for (int[] r : relevantRanks) {
            double ap = 0;
            int hits = 0;
            for (int rank : r) {
                if (rank >= k) break;
                hits++;
                ap += (double) hits / (rank + 1);
            }
            sum += hits == 0 ? 0 : ap / hits;
        }
        return sum / Math.max(1, queries);
    }

    /** Relevant among the first N ranked / N, N capped at the database size; needs that N <= limit. */
    double precisionAt(int topN) {
        int n = Math.min(topN, database);
        require(n);
        double sum = 0;
        for (int[] r : relevantRanks) {
            int rel = 0;
            while (rel < r.length && r[rel] < n) rel++;
            sum += n == 0 ? 0 : (double) rel / n;
        }
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

    private void require(int cut) {
        if (cut > limit) throw new IllegalArgumentException("the ranking was kept to its first " + limit + " items, " + cut + " were asked for");
    }
}
