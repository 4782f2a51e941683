package io.mlh.jobs.evaluate;

import java.util.Iterator;
import org.apache.spark.sql.Row;

/**
 * One database partition's rows (id, labels, code), decoded one at a time into reused arrays: both
 * evaluation passes walk a partition this way and hold nothing per row. Refuses rows out of
 * ascending id order, since every rank the passes compute assumes that order.
 */
final class DatabaseRows {
    private final Iterator<Row> rows;
    private final QuerySet queries;
    private final String table;
    /** The current row's code words and positive classes (bit set), valid after {@link #next()}. */
    final long[] code, labels;
    long id, count, firstId, lastId;

    DatabaseRows(Iterator<Row> rows, QuerySet queries, String table) {
        this.rows = rows;
        this.queries = queries;
        this.table = table;
        this.code = new long[queries.wordsPerCode];
        this.labels = new long[queries.wordsPerLabel];
    }

    /** Moves to the next row; false when the partition is done. */
    boolean next() {
        if (!rows.hasNext()) return false;
        Row r = rows.next();
        id = r.getLong(0);
        if (count > 0 && id <= lastId) throw new IllegalStateException(table + ": partition rows out of id order (" + lastId + " then " + id + ")");
        if (count++ == 0) firstId = id;
        lastId = id;
        CodeTable.labelMask(r.getList(1), labels, 0);
        CodeTable.code(r.getList(2), code, 0, queries.bits, table, id);
        return true;
    }

    /** Hamming distance from query q to the current row. */
    int distance(int q) {
        int w = queries.wordsPerCode, d = 0;
        for (int k = 0; k < w; k++) d += Long.bitCount(queries.codes[q * w + k] ^ code[k]);
        return d;
    }

    boolean relevant(int q) {
        return queries.relevant(q, labels);
    }
}
