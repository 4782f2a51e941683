package io.mlh.jobs.evaluate;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * Evaluation pass 2, one database partition: its rows walked again in the same order, each relevant
 * item given its exact global rank and the number of relevant items ranked up to it from the
 * broadcast {@link RankOffsets}, and only the per-query sums the metrics need kept. With re-ranking,
 * the items of Hamming rank up to R are returned instead ({@link RefineCandidates}): their ranks are
 * decided on the driver. Every later item keeps its rank, and so its sums: the first R hold the same
 * relevant items in any order.
 */
final class CutSums implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    /** Per query: the sum over its relevant items ranked within K of (relevant items ranked up to it) / rank. */
    final double[] precisionSums;
    /** At q * cuts + c: query q's relevant items ranked within cut c (cut 0 = K, so its hits). */
    final int[] within;
    /** This partition's items among each query's first R (null without re-ranking). */
    final RefineCandidates candidates;

    private CutSums(int partition, double[] precisionSums, int[] within, RefineCandidates candidates) {
        this.partition = partition;
        this.precisionSums = precisionSums;
        this.within = within;
        this.candidates = candidates;
    }

    static CutSums sum(int partition, Iterator<Row> rows, QuerySet q, RankOffsets o, String table) {
        int nq = q.size, span = o.span, nc = o.cuts.length, k = o.cuts[0];
        int[] cuts = o.cuts,
                reach = o.reach,
                itemsBefore = o.itemsBefore[partition],
                relevantBefore = o.relevantBefore[partition];
        double[] sums = new double[nq];
        int[] within = new int[nq * nc];
        RefineCandidates candidates = o.refined > 0 ? new RefineCandidates(nq) : null;
        // items and relevant items of this partition seen so far in each cell: their indices within the cell
        int[] seen = new int[nq * span], relevantSeen = new int[nq * span];
        DatabaseRows db = new DatabaseRows(rows, q, table);
        while (db.next()) {
            if (itemsBefore == null) break; // empty in pass 1: refused below
            for (int i = 0; i < nq; i++) {
                int d = db.distance(i);
                if (d > reach[i]) continue; // ranked beyond every cut
                int cell = i * span + d;
                int rank = itemsBefore[cell] + ++seen[cell]; // 1-based
                if (rank <= o.refined) {
                    candidates.add(i, db.id, db.cosine(i), db.relevant(i));
                    if (db.relevant(i)) ++relevantSeen[cell];
                    continue;
                }
                if (!db.relevant(i)) continue;
                int hits = relevantBefore[cell] + ++relevantSeen[cell]; // relevant items ranked up to this one
                if (rank <= k) sums[i] += (double) hits / rank;
                for (int c = 0; c < nc; c++) if (rank <= cuts[c]) within[i * nc + c]++;
            }
        }
        if (db.count != o.rows[partition]
                || db.count > 0 && (db.firstId != o.firstIds[partition] || db.lastId != o.lastIds[partition])) {
            throw new IllegalStateException(
                    table + " changed between the evaluation's passes: partition " + partition + " held "
                            + o.rows[partition] + " rows (ids " + o.firstIds[partition] + " to " + o.lastIds[partition]
                            + "), now "
                            + (itemsBefore == null ? "at least " : "") + db.count + " (ids " + db.firstId + " to "
                            + db.lastId + ")");
        }
        return new CutSums(partition, sums, within, candidates);
    }

    /** Pass 2 over a partition, in the order and partitioning of pass 1. */
    static final class Sum implements Function2<Integer, Iterator<Row>, Iterator<CutSums>> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QuerySet> queries;
        private final Broadcast<RankOffsets> offsets;
        private final String table;

        Sum(Broadcast<QuerySet> queries, Broadcast<RankOffsets> offsets, String table) {
            this.queries = queries;
            this.offsets = offsets;
            this.table = table;
        }

        @Override
        public Iterator<CutSums> call(Integer partition, Iterator<Row> rows) {
            return Collections.singletonList(sum(partition, rows, queries.value(), offsets.value(), table))
                    .iterator();
        }
    }
}
