package io.mlh.jobs.index;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.tables.CodeSplit;
import java.io.IOException;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * A code table's split held in one process, as the query service serves it: ids ascending, their
 * packed codes and their labels packed as bit sets. It is built by the search job's own checked pass
 * ({@link DistributedSearch}: every row checked, duplicate ids refused) and then collected, so both
 * rank the same rows. Immutable.
 */
public final class LoadedCodes {
    /** How messages name the table. */
    public final String name;

    public final long[] ids;
    public final PackedCodes codes;
    /** Row i's positive classes at [i * labelWords, (i + 1) * labelWords). */
    final long[] labels;

    public final int labelWidth;
    private final int labelWords;
    /** Row i's int8 continuous code, for re-ranking; null when the split was opened without them. */
    public final Int8Codes int8;

    private LoadedCodes(String name, long[] ids, PackedCodes codes, long[] labels, int labelWidth, Int8Codes int8) {
        this.name = name;
        this.ids = ids;
        this.codes = codes;
        this.labels = labels;
        this.labelWidth = labelWidth;
        this.labelWords = PackedCodes.wordsFor(labelWidth);
        this.int8 = int8;
    }

    /**
     * The rows of {@code split} (opened with {@link CodeSplit#openForOnePass}, and {@link CodeSplit#withInt8}
     * for re-ranking), checked, in id order.
     */
    public static LoadedCodes load(SparkSession spark, CodeSplit split) throws IOException {
        List<IndexPartition> parts;
        try (DistributedSearch index = new DistributedSearch(spark, split, 0, 1, -1, Refinement.NONE)) {
            parts = index.partitions();
        }
        long total = 0;
        for (IndexPartition p : parts) total += p.size();
        if (total > Integer.MAX_VALUE)
            throw new IllegalArgumentException(split.name + " has " + total + " rows: more than one process can hold");
        int n = (int) total,
                words = PackedCodes.wordsFor(split.bits),
                labelWords = PackedCodes.wordsFor(split.labelWidth);
        long[] ids = new long[n], codes = new long[n * words], labels = new long[n * labelWords];
        byte[] int8 = split.int8 ? new byte[n * split.bits] : null;
        int at = 0;
        for (IndexPartition p : parts) {
            System.arraycopy(p.ids, 0, ids, at, p.size());
            System.arraycopy(p.codes.words(), 0, codes, at * words, p.size() * words);
            System.arraycopy(p.labels, 0, labels, at * labelWords, p.size() * labelWords);
            if (int8 != null) System.arraycopy(p.int8.values(), 0, int8, at * split.bits, p.size() * split.bits);
            at += p.size();
        }
        int[] order = IndexPartition.IdOrder.of(ids); // partitions are sorted within, not between
        return new LoadedCodes(
                split.name,
                IndexPartition.IdOrder.gather(ids, order, 1),
                PackedCodes.of(IndexPartition.IdOrder.gather(codes, order, words), n, split.bits),
                IndexPartition.IdOrder.gather(labels, order, labelWords),
                split.labelWidth,
                int8 == null
                        ? null
                        : Int8Codes.of(IndexPartition.IdOrder.gather(int8, order, split.bits), n, split.bits));
    }

    /** Bytes a row takes in memory: its id, code, labels and int8 code (without an index over them). */
    public long bytesPerRow() {
        return 8 + 8L * codes.wordsPerCode() + 8L * labelWords + (int8 == null ? 0 : int8.dims() + 4);
    }

    public int size() {
        return ids.length;
    }

    public int bits() {
        return codes.bits();
    }

    /** Row i's labels as the table holds them: a 0 / 1 vector of {@link #labelWidth} classes. */
    public int[] labels(int i) {
        int[] y = new int[labelWidth];
        for (int c = 0; c < labelWidth; c++) y[c] = (int) (labels[i * labelWords + (c >>> 6)] >>> (c & 63)) & 1;
        return y;
    }
}
