package io.mlh.jobs.tables;

import io.mlh.jobs.common.CommittedOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** Code-table rows and committed code tables for the search and serve tests, and the distance between two rows. */
public final class CodeTableFixture {
    public static final int CLASSES = 10;

    private CodeTableFixture() {}

    /**
     * Random codes with labels (one or two of {@link #CLASSES}), split query (a fraction of them) or
     * database, ids ascending with gaps from a random start: (id, split, labels, bits, code).
     */
    public static List<Row> codes(int n, int bits, long seed, double queries) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        long id = random.nextInt(1000);
        for (int i = 0; i < n; i++) {
            id += 1 + random.nextInt(3);
            long[] code = new long[(bits + 63) / 64];
            for (int w = 0; w < code.length; w++) code[w] = random.nextLong();
            if (bits % 64 != 0) code[code.length - 1] &= (1L << (bits % 64)) - 1;
            int[] labels = new int[CLASSES];
            labels[random.nextInt(CLASSES)] = 1;
            if (random.nextInt(4) == 0) labels[random.nextInt(CLASSES)] = 1;
            rows.add(RowFactory.create(id, random.nextDouble() < queries ? "query" : "database", labels, bits, code));
        }
        return rows;
    }

    /**
     * The rows with an int8 continuous code appended ({@link CodeTable#CONTINUOUS_INT8}), each one of
     * {@code pool} random codes, so that re-ranking scores tie often.
     */
    public static List<Row> withInt8(List<Row> rows, int pool, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int bits = rows.get(0).getInt(3);
        byte[][] codes = new byte[pool][bits];
        for (byte[] code : codes) for (int b = 0; b < bits; b++) code[b] = (byte) (random.nextInt(255) - 127);
        List<Row> out = new ArrayList<>();
        for (Row r : rows)
            out.add(RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), codes[random.nextInt(pool)]));
        return out;
    }

    /** The re-ranking score of two rows of {@link #withInt8}. */
    public static double cosine(Row a, Row b) {
        byte[] x = (byte[]) a.get(5), y = (byte[]) b.get(5);
        return io.mlh.core.codes.Int8Codes.cosine(x, 0, y, 0, x.length);
    }

    /**
     * Commits {@code rows} as a code table at {@code table} in three files, replacing what is there; rows
     * of {@link #withInt8} with their int8 column.
     */
    public static Path commit(SparkSession spark, Path table, List<Row> rows, CodeTable.Provenance provenance)
            throws IOException {
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(new Configuration(), table.toString(), true);
        boolean int8 = rows.get(0).size() > 5;
        spark.createDataFrame(
                        rows,
                        CodeTable.schema(
                                int8
                                        ? EnumSet.of(CodeTable.Extra.CONTINUOUS_INT8)
                                        : EnumSet.noneOf(CodeTable.Extra.class),
                                provenance))
                .repartition(3)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(new Configuration(), staging, table.toString());
        return table;
    }

    /** Between two of the rows {@link #codes} made (their arrays are Java arrays). */
    public static int distance(Row a, Row b) {
        long[] x = (long[]) a.get(4), y = (long[]) b.get(4);
        int d = 0;
        for (int w = 0; w < x.length; w++) d += Long.bitCount(x[w] ^ y[w]);
        return d;
    }
}
