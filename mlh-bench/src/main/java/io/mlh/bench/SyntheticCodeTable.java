package io.mlh.bench;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.RankedLists;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.tables.CodeTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
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
 * bit flipped with probability 1/4, and an int8 continuous code ({@code continuous_int8}) whose signs
 * are the code's bits and whose magnitudes are drawn from 1..127 by id ({@link #int8}), so that the
 * table can be re-ranked. Rows are generated on the executors, a file per chunk of {@value #CHUNK}
 * rows, never on the driver.
 */
final class SyntheticCodeTable {
    static final int CLASSES = 21, CHUNK = 100_000;

    private SyntheticCodeTable() {}

    /**
     * The table at {@code path} as {@link #write} writes it: written unless committed with every column
     * (a table of an older bench, without the int8 codes, is written again).
     */
    static void ensure(SparkSession spark, String path, int queries, long database, int bits, long seed)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (CommittedOutput.isCommitted(hadoop, path)
                && Arrays.asList(spark.read().parquet(path).schema().fieldNames())
                        .contains(CodeTable.CONTINUOUS_INT8)) return;
        write(spark, path, queries, database, bits, seed);
    }

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
        spark.createDataFrame(rows, CodeTable.schema(EnumSet.of(CodeTable.Extra.CONTINUOUS_INT8), null))
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(hadoop, staging, path);
    }

    /**
     * The codes {@link #write} writes, ids {@code from..to-1} in id order, made again on the driver (for
     * a reference that reads raw codes rather than the table).
     */
    static PackedCodes codes(int queries, long database, int bits, long seed, long from, long to) {
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
        return PackedCodes.of(out, (int) (to - from), bits);
    }

    /**
     * The int8 continuous code of row {@code id} whose packed code is {@code code}: dimension k is +m for
     * a set bit k and -m for a clear one, m drawn from 1..127 by (seed, id, k).
     */
    static byte[] int8(long id, long[] code, int bits, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + id);
        byte[] out = new byte[bits];
        for (int k = 0; k < bits; k++) {
            int m = 1 + rnd.nextInt(127);
            out[k] = (byte) (((code[k >>> 6] >>> (k & 63)) & 1) != 0 ? m : -m);
        }
        return out;
    }

    /**
     * The first {@code k} ids of each query's order over the table's database, from the raw codes
     * ({@link #codes}; the queries are ids 0.., the database ids {@code firstDatabaseId}..): the exact
     * Hamming order (ties by id), its first {@code refine.candidates} re-ranked by the int8 codes' cosine
     * with {@link Refinement}'s definition. The reference the benchmarks check answers against.
     */
    static long[][] topK(
            PackedCodes queries, PackedCodes database, long firstDatabaseId, int k, Refinement refine, long seed) {
        int depth = Math.max(k, refine.candidates), bits = queries.bits();
        RankedLists hamming = new HammingRanker(2).topK(queries, database, depth);
        long[][] out = new long[queries.size()][];
        for (int q = 0; q < queries.size(); q++) {
            int n = Math.min(depth, hamming.k());
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) ids[i] = firstDatabaseId + hamming.index(q, i);
            int r = refine.within(n);
            if (r > 0) {
                byte[] query = int8(q, queries.code(q), bits, seed);
                double[] scores = new double[r];
                for (int i = 0; i < r; i++) {
                    byte[] item = int8(ids[i], database.code(hamming.index(q, i)), bits, seed);
                    scores[i] = Int8Codes.cosine(query, 0, item, 0, bits);
                }
                int[] best = Refinement.order(scores, ids, r);
                long[] head = new long[r];
                for (int i = 0; i < r; i++) head[i] = ids[best[i]];
                System.arraycopy(head, 0, ids, 0, r);
            }
            out[q] = Arrays.copyOf(ids, Math.min(k, n));
        }
        return out;
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
            out.add(RowFactory.create(
                    id, id < queries ? "query" : "database", labels, bits, code, int8(id, code, bits, seed)));
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
