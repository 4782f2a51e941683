package io.mlh.jobs.evaluate;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.tables.CodeSplit;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Every query's code and labels in flat arrays, ordered by id: small enough (thousands of rows) to
 * collect on the driver and broadcast to the executors that rank database partitions. Query order
 * is id order, so per-query figures are summed in the same order on every run.
 */
final class QuerySet implements Serializable {
    private static final long serialVersionUID = 1L;

    final int size, bits, wordsPerCode, wordsPerLabel;
    final long[] ids;
    /** Query q's code at [q * wordsPerCode, (q + 1) * wordsPerCode), PackedCodes layout. */
    final long[] codes;
    /** Query q's positive classes as a bit set at [q * wordsPerLabel, (q + 1) * wordsPerLabel). */
    final long[] labels;
    /** The queries' int8 continuous codes in query order, for re-ranking; null when the rows carry none. */
    Int8Codes int8;

    private QuerySet(int size, int bits, int labelWidth) {
        this.size = size;
        this.bits = bits;
        this.wordsPerCode = PackedCodes.wordsFor(bits);
        this.wordsPerLabel = PackedCodes.wordsFor(labelWidth);
        this.ids = new long[size];
        this.codes = new long[size * wordsPerCode];
        this.labels = new long[size * wordsPerLabel];
    }

    static QuerySet collect(CodeSplit table) {
        return of(table.rows.collectAsList(), table.bits, table.labelWidth, table.name);
    }

    /** Rows id, labels, code[, bits, int8 code] of every query, in any order. */
    static QuerySet of(List<Row> queryRows, int bits, int labelWidth, String table) {
        List<Row> rows = new ArrayList<>(queryRows);
        rows.sort(Comparator.comparingLong(r -> r.getLong(0)));
        QuerySet q = new QuerySet(rows.size(), bits, labelWidth);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            q.ids[i] = r.getLong(0);
            if (i > 0 && q.ids[i] == q.ids[i - 1])
                throw new IllegalArgumentException(
                        table + " has duplicate ids: " + q.ids[i] + " appears more than once");
            CodeSplit.labelMask(r.getList(1), q.labels, i * q.wordsPerLabel);
            CodeSplit.code(r.getList(2), q.codes, i * q.wordsPerCode, q.bits, table, q.ids[i]);
        }
        if (!rows.isEmpty() && rows.get(0).size() > 4) {
            byte[] int8 = new byte[rows.size() * bits];
            for (int i = 0; i < rows.size(); i++)
                System.arraycopy(CodeSplit.int8Code(rows.get(i), 4, bits, table, q.ids[i]), 0, int8, i * bits, bits);
            q.int8 = Int8Codes.of(int8, rows.size(), bits);
        }
        return q;
    }

    /** Relevance as RetrievalMetrics defines it: query q and the item share a positive class. */
    boolean relevant(int q, long[] itemLabels) {
        for (int k = 0, off = q * wordsPerLabel; k < wordsPerLabel; k++) {
            if ((labels[off + k] & itemLabels[k]) != 0) return true;
        }
        return false;
    }
}
