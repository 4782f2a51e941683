package io.mlh.jobs.index;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.tables.CodeSplit;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * The queries of a search, held on the driver and sent to the executors a block at a time: ids in
 * ascending order, their packed codes, labels (packed as bit sets, and as the multi-hot vectors the
 * output repeats) and, for image queries, their source paths.
 */
public final class QueryCodes implements Serializable {
    private static final long serialVersionUID = 1L;

    public final long[] ids;
    final PackedCodes codes;
    public final int[][] labels;
    /** Null unless the queries are images. */
    public final String[] sources;
    /** The queries' int8 continuous codes, for re-ranking; null without them. */
    final Int8Codes int8;

    private QueryCodes(long[] ids, PackedCodes codes, int[][] labels, String[] sources, Int8Codes int8) {
        this.ids = ids;
        this.codes = codes;
        this.labels = labels;
        this.sources = sources;
        this.int8 = int8;
    }

    /** The rows (id, labels, code, bits[, int8 code]) of a code table's split, checked as they are read. */
    public static QueryCodes of(CodeSplit split) {
        CodeSplit.RowCheck check = split.rowCheck();
        List<Row> rows = split.rows.collectAsList();
        if (rows.isEmpty()) throw split.noRows();
        rows.forEach(check::check);
        return of(rows, split.bits, false, split.int8 ? 4 : -1, split.name);
    }

    /**
     * Rows (id, labels, code[, source], ...) in any order, with the int8 continuous code in column
     * {@code int8Column} (-1: none); refuses duplicate ids, codes with bits set beyond {@code bits} and
     * int8 codes of another length, naming {@code name} (the table they came from).
     */
    public static QueryCodes of(List<Row> rows, int bits, boolean withSources, int int8Column, String name) {
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong(r -> r.getLong(0)));
        int n = sorted.size(), words = PackedCodes.wordsFor(bits);
        long[] ids = new long[n], packed = new long[n * words];
        int[][] labels = new int[n][];
        String[] sources = withSources ? new String[n] : null;
        byte[] int8 = int8Column >= 0 ? new byte[n * bits] : null;
        for (int i = 0; i < n; i++) {
            Row r = sorted.get(i);
            ids[i] = r.getLong(0);
            if (i > 0 && ids[i] == ids[i - 1])
                throw new IllegalArgumentException(name + " has duplicate ids: " + ids[i] + " appears more than once");
            List<Integer> y = r.getList(1);
            labels[i] = new int[y.size()];
            for (int c = 0; c < labels[i].length; c++) labels[i][c] = y.get(c);
            CodeSplit.code(r.getList(2), packed, i * words, bits, name, ids[i]);
            if (withSources) sources[i] = r.getString(3);
            if (int8 != null)
                System.arraycopy(CodeSplit.int8Code(r, int8Column, bits, name, ids[i]), 0, int8, i * bits, bits);
        }
        return new QueryCodes(
                ids,
                PackedCodes.of(packed, n, bits),
                labels,
                sources,
                int8 == null ? null : Int8Codes.of(int8, n, bits));
    }

    public int size() {
        return ids.length;
    }

    /** Queries [from, to). */
    public QueryCodes block(int from, int to) {
        return new QueryCodes(
                Arrays.copyOfRange(ids, from, to),
                codes.slice(from, to),
                Arrays.copyOfRange(labels, from, to),
                sources == null ? null : Arrays.copyOfRange(sources, from, to),
                int8 == null ? null : int8.slice(from, to));
    }
}
