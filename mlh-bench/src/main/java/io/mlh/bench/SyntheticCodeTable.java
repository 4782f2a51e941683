package io.mlh.bench;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.tables.CodeTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A committed code table as EncodeJob writes it (its schema, CommittedOutput), of synthetic codes
 * with a multi-label distribution like NUS-WIDE's 21 concepts: class frequencies falling off as
 * 1/rank, one to three labels an item (55 / 30 / 15 %), each code its first label's centre with every
 * bit flipped with probability 1/4. Rows are generated on the executors, a file per chunk of
 * {@value #CHUNK} rows, never on the driver.
 */
final class SyntheticCodeTable {
    static final int CLASSES = 21, CHUNK = 100_000;

    private SyntheticCodeTable() {}

    /** Writes {@code queries} query rows and {@code database} database rows of {@code bits}-bit codes; the same seed, the same table. */
    static void write(SparkSession spark, String path, int queries, long database, int bits, long seed)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path staging = CommittedOutput.stage(hadoop, path, true);
        long total = queries + database;
        int chunks = (int) ((total + CHUNK - 1) / CHUNK);
        List<Integer> chunkIds = new ArrayList<>();
        for (int c = 0; c < chunks; c++) chunkIds.add(c);
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(chunkIds, chunks)
                .flatMap(c -> chunk(c, queries, total, bits, seed));
        spark.createDataFrame(rows, CodeTable.REQUIRED)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(hadoop, staging, path);
    }

    /**
     * The codes {@link #write} writes, ids {@code from..to-1} in id order, made again on the driver (for
     * a reference that reads raw codes rather than the table).
     */
    static io.mlh.core.codes.PackedCodes codes(int queries, long database, int bits, long seed, long from, long to) {
        int words = (bits + 63) / 64;
        long[] out = new long[Math.toIntExact((to - from) * words)];
        long total = queries + database;
        for (int c = (int) (from / CHUNK); (long) c * CHUNK < to; c++) {
            Iterator<Row> rows = chunk(c, queries, total, bits, seed);
            while (rows.hasNext()) {
                Row r = rows.next();
                long id = r.getLong(0);
                if (id >= from && id < to)
                    System.arraycopy((long[]) r.get(4), 0, out, (int) ((id - from) * words), words);
            }
        }
        return io.mlh.core.codes.PackedCodes.of(out, (int) (to - from), bits);
    }

    /** Rows [c * CHUNK, min(total, (c + 1) * CHUNK)); ids from 0, the first {@code queries} of them queries. */
    private static Iterator<Row> chunk(int c, int queries, long total, int bits, long seed) {
        int words = (bits + 63) / 64;
        long[][] centres = new long[CLASSES][words];
        SplittableRandom shared = new SplittableRandom(seed);
        for (long[] centre : centres) for (int k = 0; k < words; k++) centre[k] = shared.nextLong() & mask(bits, k);
        double[] cumulative = new double[CLASSES];
        double sum = 0;
        for (int k = 0; k < CLASSES; k++) cumulative[k] = sum += 1.0 / (k + 1);
        for (int k = 0; k < CLASSES; k++) cumulative[k] /= sum;

        SplittableRandom rnd = new SplittableRandom(seed * 31 + c);
        long from = (long) c * CHUNK, to = Math.min(total, from + CHUNK);
        List<Row> out = new ArrayList<>((int) (to - from));
        for (long id = from; id < to; id++) {
            int[] labels = new int[CLASSES];
            double u = rnd.nextDouble();
            int count = u < 0.55 ? 1 : u < 0.85 ? 2 : 3, first = -1;
            for (int l = 0; l < count; l++) {
                int k = draw(cumulative, rnd.nextDouble());
                labels[k] = 1;
                if (first < 0) first = k;
            }
            long[] code = new long[words];
            for (int k = 0; k < words; k++)
                code[k] = (centres[first][k] ^ (rnd.nextLong() & rnd.nextLong())) & mask(bits, k);
            out.add(RowFactory.create(id, id < queries ? "query" : "database", labels, bits, code));
        }
        return out.iterator();
    }

    private static long mask(int bits, int word) {
        int left = bits - 64 * word;
        return left >= 64 ? -1L : (1L << left) - 1;
    }

    private static int draw(double[] cumulative, double u) {
        int k = 0;
        while (k < cumulative.length - 1 && u >= cumulative[k]) k++;
        return k;
    }
}
