package io.mlh.jobs.index;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.tables.CodeSplit;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * One partition of the searched database as an executor keeps it between query blocks: ids in
 * ascending order (so that rank order by position is rank order by id), their packed codes, and their
 * labels packed as bit sets.
 */
final class IndexPartition implements Serializable {
    private static final long serialVersionUID = 1L;

    final long[] ids;
    final PackedCodes codes;
    /** Row i's positive classes at [i * labelWords, (i + 1) * labelWords). */
    final long[] labels;

    final int labelWords;
    /** The rows' int8 continuous codes, for re-ranking; null when the database was opened without them. */
    final Int8Codes int8;

    private IndexPartition(long[] ids, PackedCodes codes, long[] labels, int labelWords, Int8Codes int8) {
        this.ids = ids;
        this.codes = codes;
        this.labels = labels;
        this.labelWords = labelWords;
        this.int8 = int8;
    }

    int size() {
        return ids.length;
    }

    /**
     * Builds each partition's index from its rows (id, labels, code, bits[, int8 code]) in any order, checking every
     * row ({@link CodeSplit.RowCheck}) as it is read: the one pass over the database the search makes.
     * It reads Spark's internal rows: the conversion to {@code Row}, which boxes every label, would
     * cost a third of the pass.
     */
    static final class Build implements FlatMapFunction<Iterator<InternalRow>, IndexPartition> {
        private static final long serialVersionUID = 1L;
        private final CodeSplit.RowCheck check;
        private final int bits, labelWidth;
        private final String table;
        private final boolean withInt8;

        Build(CodeSplit database) {
            this.check = database.rowCheck();
            this.bits = database.bits;
            this.labelWidth = database.labelWidth;
            this.table = database.name;
            this.withInt8 = database.int8;
        }

        @Override
        public Iterator<IndexPartition> call(Iterator<InternalRow> rows) {
            int words = PackedCodes.wordsFor(bits), labelWords = PackedCodes.wordsFor(labelWidth);
            long[] ids = new long[1024], codes = new long[1024 * words], labels = new long[1024 * labelWords];
            byte[] int8 = withInt8 ? new byte[1024 * bits] : null;
            int n = 0;
            boolean sorted = true;
            while (rows.hasNext()) {
                InternalRow r = rows.next(); // reused by the scan: its values are copied out here
                for (int c = 0; c < 4; c++) if (r.isNullAt(c)) check.nullIn(c, r.isNullAt(0) ? null : r.getLong(0));
                long id = r.getLong(0);
                ArrayData y = r.getArray(1), code = r.getArray(2);
                check.check(id, r.getInt(3), y.numElements(), code.numElements());
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, 2 * n);
                    codes = Arrays.copyOf(codes, 2 * n * words);
                    labels = Arrays.copyOf(labels, 2 * n * labelWords);
                    if (withInt8) int8 = Arrays.copyOf(int8, 2 * n * bits);
                }
                ids[n] = id;
                sorted &= n == 0 || id > ids[n - 1];
                for (int c = 0; c < labelWidth; c++)
                    if (!y.isNullAt(c) && y.getInt(c) > 0) labels[n * labelWords + (c >>> 6)] |= 1L << (c & 63);
                for (int w = 0; w < words; w++) codes[n * words + w] = code.getLong(w);
                CodeSplit.requireNoBitsBeyond(codes[n * words + words - 1], bits, table, id);
                if (withInt8) {
                    byte[] u = CodeSplit.int8Code(r.isNullAt(4) ? null : r.getBinary(4), bits, table, id);
                    System.arraycopy(u, 0, int8, n * bits, bits);
                }
                n++;
            }
            ids = Arrays.copyOf(ids, n);
            codes = Arrays.copyOf(codes, n * words);
            labels = Arrays.copyOf(labels, n * labelWords);
            if (withInt8) int8 = Arrays.copyOf(int8, n * bits);
            if (!sorted) {
                int[] order = IdOrder.of(ids);
                ids = IdOrder.gather(ids, order, 1);
                codes = IdOrder.gather(codes, order, words);
                labels = IdOrder.gather(labels, order, labelWords);
                if (withInt8) int8 = IdOrder.gather(int8, order, bits);
            }
            for (int i = 1; i < n; i++)
                if (ids[i] == ids[i - 1])
                    throw new IllegalArgumentException(
                            table + " has duplicate ids: " + ids[i] + " appears more than once");
            return Collections.singletonList(new IndexPartition(
                            ids,
                            PackedCodes.of(codes, n, bits),
                            labels,
                            labelWords,
                            withInt8 ? Int8Codes.of(int8, n, bits) : null))
                    .iterator();
        }
    }

    /** The permutation that sorts an id array, without boxing (a partition holds millions of rows). */
    static final class IdOrder {
        private IdOrder() {}

        /** Positions of {@code ids} in ascending id order (stable). */
        static int[] of(long[] ids) {
            int n = ids.length;
            int[] order = new int[n], spare = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            for (int width = 1; width < n; width *= 2) { // bottom-up merge sort
                for (int lo = 0; lo < n; lo += 2 * width) {
                    int mid = Math.min(n, lo + width), hi = Math.min(n, lo + 2 * width);
                    int a = lo, b = mid, out = lo;
                    while (a < mid && b < hi) spare[out++] = ids[order[b]] < ids[order[a]] ? order[b++] : order[a++];
                    while (a < mid) spare[out++] = order[a++];
                    while (b < hi) spare[out++] = order[b++];
                }
                int[] t = order;
                order = spare;
                spare = t;
            }
            return order;
        }

        /** Rows of {@code stride} words of {@code values}, in {@code order}. */
        static long[] gather(long[] values, int[] order, int stride) {
            long[] out = new long[values.length];
            for (int i = 0; i < order.length; i++) System.arraycopy(values, order[i] * stride, out, i * stride, stride);
            return out;
        }

        /** Rows of {@code stride} bytes of {@code values}, in {@code order}. */
        static byte[] gather(byte[] values, int[] order, int stride) {
            byte[] out = new byte[values.length];
            for (int i = 0; i < order.length; i++) System.arraycopy(values, order[i] * stride, out, i * stride, stride);
            return out;
        }
    }
}
