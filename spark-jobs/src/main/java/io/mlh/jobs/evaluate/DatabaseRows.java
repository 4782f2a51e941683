package io.mlh.jobs.evaluate;

import io.mlh.core.codes.Int8Codes;
import io.mlh.jobs.tables.CodeSplit;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * One database partition's rows (id, packed labels, code: {@link CodeSplit#packedRows}), decoded one at a time into reused arrays: both
 * evaluation passes walk a partition this way and hold nothing per row. Refuses rows out of
 * ascending id order, since every rank the passes compute assumes that order, and duplicate ids
 * (sorted rows put them side by side).
 */
final class DatabaseRows {
    private final Iterator<Row> rows;
    private final QuerySet queries;
    private final String table;
    // the queries' arrays, for the per-pair calls of both passes
    private final long[] queryCodes, queryLabels;
    private final int codeWords, labelWords;
    /** The current row's code words and positive classes (bit set), valid after {@link #next()}. */
    final long[] code, labels;
    /** The current row's int8 continuous code and its squared norm, when the rows carry them (re-ranking). */
    private byte[] int8;

    private int int8SquaredNorm;

    long id, count, firstId, lastId;

    DatabaseRows(Iterator<Row> rows, QuerySet queries, String table) {
        this.rows = rows;
        this.queries = queries;
        this.table = table;
        this.code = new long[queries.wordsPerCode];
        this.labels = new long[queries.wordsPerLabel];
        this.queryCodes = queries.codes;
        this.queryLabels = queries.labels;
        this.codeWords = queries.wordsPerCode;
        this.labelWords = queries.wordsPerLabel;
    }

    /** Moves to the next row; false when the partition is done. */
    boolean next() {
        if (!rows.hasNext()) return false;
        Row r = rows.next();
        id = r.getLong(0);
        if (count > 0 && id == lastId)
            throw new IllegalArgumentException(table + " has duplicate ids: " + id + " appears more than once");
        if (count > 0 && id < lastId)
            throw new IllegalStateException(
                    table + ": partition rows out of id order (" + lastId + " then " + id + ")");
        if (count++ == 0) firstId = id;
        lastId = id;
        List<?> packed = r.getList(1);
        for (int k = 0; k < labels.length; k++) labels[k] = (Long) packed.get(k);
        CodeSplit.code(r.getList(2), code, 0, queries.bits, table, id);
        if (r.size() > 3) {
            int8 = CodeSplit.int8Code(r, 3, queries.bits, table, id);
            int8SquaredNorm = Int8Codes.dot(int8, 0, int8, 0, int8.length);
        }
        return true;
    }

    /** Hamming distance from query q to the current row. */
    int distance(int q) {
        if (codeWords == 1)
            return Long.bitCount(queryCodes[q] ^ code[0]); // up to 64 bits: the common case, twice as fast
        int d = 0;
        for (int k = 0, at = q * codeWords; k < codeWords; k++) d += Long.bitCount(queryCodes[at + k] ^ code[k]);
        return d;
    }

    /** The cosine of query q's int8 continuous code and the current row's: the re-ranking score. */
    double cosine(int q) {
        return queries.int8.cosine(q, int8, int8SquaredNorm);
    }

    /** Whether query q and the current row share a positive class. */
    boolean relevant(int q) {
        if (labelWords == 1) return (queryLabels[q] & labels[0]) != 0;
        for (int k = 0, at = q * labelWords; k < labelWords; k++)
            if ((queryLabels[at + k] & labels[k]) != 0) return true;
        return false;
    }
}
