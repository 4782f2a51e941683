package io.mlh.jobs.evaluate;

import io.mlh.core.codes.PackedCodes;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * What one database partition contributes to every query's ranking. The partitions are ranges of
 * ids (range-partitioned, sorted within), so the order (distance, id) of the whole database is: by
 * distance, then partition by partition, then within a partition by id. A partition therefore only
 * needs to report, per query:
 * <ul>
 *   <li>how many of its items, and how many relevant ones, sit at each distance 0..bits (for the
 *       PR curve, and to place other partitions' items), and
 *   <li>its relevant items among its own first {@code limit} by (distance, id), each as its distance
 *       and its index among the partition's items at that distance. An item not in a partition's
 *       first {@code limit} is not in the database's first {@code limit} either.
 * </ul>
 * Irrelevant items are never listed: they only shift ranks, which the counts capture.
 */
final class PartitionSummary implements Serializable {
    private static final long serialVersionUID = 1L;

    final long rows, firstId, lastId;
    /** Items and relevant items of query q at distance d, at q * (bits + 1) + d. */
    final int[] items, relevant;
    /** Per query: its listed relevant items as distance << 32 | index at that distance, ascending. */
    final long[][] listed;

    private PartitionSummary(long rows, long firstId, long lastId, int[] items, int[] relevant, long[][] listed) {
        this.rows = rows;
        this.firstId = firstId;
        this.lastId = lastId;
        this.items = items;
        this.relevant = relevant;
        this.listed = listed;
    }

    /** Ranks one partition (rows id, labels, code in ascending id order) against the broadcast queries. */
    static final class Summarise implements FlatMapFunction<Iterator<Row>, PartitionSummary> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QuerySet> queries;
        private final int limit;
        private final String table;

        Summarise(Broadcast<QuerySet> queries, int limit, String table) {
            this.queries = queries;
            this.limit = limit;
            this.table = table;
        }

        @Override
        public Iterator<PartitionSummary> call(Iterator<Row> rows) {
            return Collections.singletonList(summarise(rows, queries.value(), limit, table)).iterator();
        }
    }

    static PartitionSummary summarise(Iterator<Row> rows, QuerySet q, int limit, String table) {
        int nq = q.size, span = q.bits + 1, w = q.wordsPerCode;
        int[] items = new int[nq * span], relevant = new int[nq * span];
        SmallestLongs[] kept = new SmallestLongs[nq];
        for (int i = 0; i < nq; i++) kept[i] = new SmallestLongs(limit);
        long[] code = new long[w], labels = new long[q.wordsPerLabel];
        long n = 0, first = 0, last = 0;
        while (rows.hasNext()) {
            Row r = rows.next();
            long id = r.getLong(0);
            // the rank arithmetic below is only right for rows in ascending id order
            if (n > 0 && id <= last) throw new IllegalStateException(table + ": partition rows out of id order (" + last + " then " + id + ")");
            if (n++ == 0) first = id;
            last = id;
            CodeTable.labelMask(r.getList(1), labels, 0);
            CodeTable.code(r.getList(2), code, 0, q.bits, table, id);
            for (int i = 0; i < nq; i++) {
                int d = PackedCodes.hamming(q.codes, i * w, code, 0, w);
                int at = items[i * span + d]++; // index among this partition's items at distance d, in id order
                if (q.relevant(i, labels)) {
                    relevant[i * span + d]++;
                    kept[i].offer((long) d << 32 | at);
                }
            }
        }
        long[][] listed = new long[nq][];
        for (int i = 0; i < nq; i++) listed[i] = withinLimit(kept[i].sorted(), items, i * span, limit);
        return new PartitionSummary(n, first, last, items, relevant, listed);
    }

    /** Drops the items whose rank within the partition, counting irrelevant items too, is limit or more. */
    private static long[] withinLimit(long[] keys, int[] items, int off, int limit) {
        int d = 0, keep = 0;
        long before = 0; // items of the partition at distances < d
        for (; keep < keys.length; keep++) {
            int kd = (int) (keys[keep] >>> 32);
            while (d < kd) before += items[off + d++];
            if (before + (int) keys[keep] >= limit) break; // ranks only grow along the sorted keys
        }
        return keep == keys.length ? keys : java.util.Arrays.copyOf(keys, keep);
    }
}
