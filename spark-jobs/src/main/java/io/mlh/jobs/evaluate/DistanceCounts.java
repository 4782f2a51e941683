package io.mlh.jobs.evaluate;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * Evaluation pass 1, one database partition: per query, how many of its items and how many relevant
 * ones sit at each Hamming distance 0..bits. Enough for the PR curve, and for the driver to place
 * every partition's items in the global ranking (ranks go by distance, then id, and partitions are id
 * ranges) without seeing a single item. Its size depends on queries and bits, not on rows.
 */
final class DistanceCounts implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The partition's index in the RDD; pass 2 finds its offsets by it. */
    final int partition;

    final long rows, firstId, lastId;
    /** Items and relevant items of query q at distance d, at q * (bits + 1) + d. */
    final int[] items, relevant;

    DistanceCounts(int partition, long rows, long firstId, long lastId, int[] items, int[] relevant) {
        this.partition = partition;
        this.rows = rows;
        this.firstId = firstId;
        this.lastId = lastId;
        this.items = items;
        this.relevant = relevant;
    }

    static DistanceCounts count(int partition, Iterator<Row> rows, QuerySet q, String table) {
        int nq = q.size, span = q.bits + 1;
        int[] items = new int[nq * span], relevant = new int[nq * span];
        DatabaseRows db = new DatabaseRows(rows, q, table);
        while (db.next()) {
            for (int i = 0, cell = 0; i < nq; i++, cell += span) {
                int at = cell + db.distance(i);
                items[at]++;
                if (db.relevant(i)) relevant[at]++;
            }
        }
        return new DistanceCounts(partition, db.count, db.firstId, db.lastId, items, relevant);
    }

    /** Pass 1 over a partition (rows id, labels, code in ascending id order) against the broadcast queries. */
    static final class Count implements Function2<Integer, Iterator<Row>, Iterator<DistanceCounts>> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QuerySet> queries;
        private final String table;

        Count(Broadcast<QuerySet> queries, String table) {
            this.queries = queries;
            this.table = table;
        }

        @Override
        public Iterator<DistanceCounts> call(Integer partition, Iterator<Row> rows) {
            return Collections.singletonList(count(partition, rows, queries.value(), table))
                    .iterator();
        }
    }
}
