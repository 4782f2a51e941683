package io.mlh.jobs.search;

import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.evaluate.CodeSplit;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

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

    private IndexPartition(long[] ids, PackedCodes codes, long[] labels, int labelWords) {
        this.ids = ids;
        this.codes = codes;
        this.labels = labels;
        this.labelWords = labelWords;
    }

    int size() {
        return ids.length;
    }

    /** Builds each partition's index from its rows (id, labels, code), sorted by id within the partition. */
    static final class Build implements FlatMapFunction<Iterator<Row>, IndexPartition> {
        private static final long serialVersionUID = 1L;
        private final int bits, labelWidth;
        private final String table;

        Build(int bits, int labelWidth, String table) {
            this.bits = bits;
            this.labelWidth = labelWidth;
            this.table = table;
        }

        @Override
        public Iterator<IndexPartition> call(Iterator<Row> rows) {
            List<Row> all = new ArrayList<>();
            rows.forEachRemaining(all::add);
            int n = all.size(), words = PackedCodes.wordsFor(bits), labelWords = PackedCodes.wordsFor(labelWidth);
            long[] ids = new long[n], codes = new long[n * words], labels = new long[n * labelWords];
            for (int i = 0; i < n; i++) {
                Row r = all.get(i);
                ids[i] = r.getLong(0);
                if (i > 0 && ids[i] <= ids[i - 1]) {
                    throw new IllegalArgumentException(
                            ids[i] == ids[i - 1]
                                    ? table + " has duplicate ids: " + ids[i] + " appears more than once"
                                    : "the rows of " + table + " reached the index out of id order");
                }
                CodeSplit.labelMask(r.getList(1), labels, i * labelWords);
                CodeSplit.code(r.getList(2), codes, i * words, bits, table, ids[i]);
            }
            all.clear();
            return Collections.singletonList(
                            new IndexPartition(ids, PackedCodes.of(codes, n, bits), labels, labelWords))
                    .iterator();
        }
    }
}
