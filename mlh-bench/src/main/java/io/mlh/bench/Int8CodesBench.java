package io.mlh.bench;

import io.mlh.jobs.calibrate.CalibrateJob;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import java.io.File;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code make bench-int8}: a trained network's int8 codes against its fp32 codes, through the jobs as
 * users run them. The model (trained first if {@code paths.model} is not committed, sharded first if
 * {@code paths.shards} is not) is encoded in fp32 on MKL-DNN, calibrated ({@code mlh-calibrate},
 * default settings: 256 training images) and encoded again in int8; then, on the held-out images (split
 * = query: neither trained nor calibrated on) and on every image, the share of code bits and of whole
 * codes equal to fp32, and the evaluate job's mAP with fp32 codes, int8 codes, and int8 queries against
 * the fp32 database.
 *
 * <p>Arguments: label, a work directory (codes, calibrated bundle, reports), then the job settings
 * ({@code config.conf | -} and overrides; {@code train.engine = mkldnn}), on {@code local[2]}. Prints a markdown table row
 * (with the header unless {@code -Dbench.header=false}).
 */
public final class Int8CodesBench {
    private Int8CodesBench() {}

    public static void main(String[] args) throws Exception {
        String label = args[0];
        File work = new File(args[1]).getAbsoluteFile();
        List<String> base = JobRuns.base(args, 2);
        JobSettings s = JobRuns.settings(base);
        SparkSession spark = Spark.start("int8-codes", s);
        try {
            JobRuns.trainIfAbsent(spark, s);
            String fp32 = new File(work, "codes-fp32").toString(), int8 = new File(work, "codes-int8").toString();
            EncodeJob.run(spark, JobRuns.settings(base, "paths.codes=" + fp32));
            String calibrated = CalibrateJob.run(
                    spark, JobRuns.settings(base, "jobs.calibrate.output=" + new File(work, "model-int8")));
            EncodeJob.run(
                    spark,
                    JobRuns.settings(
                            base, "paths.model=" + calibrated, "paths.codes=" + int8, "jobs.encode.precision=int8"));

            Agreement heldOut = Agreement.of(spark, fp32, int8, true), all = Agreement.of(spark, fp32, int8, false);
            double map32 = map(spark, base, work, fp32, fp32),
                    map8 = map(spark, base, work, int8, int8),
                    mixed = map(spark, base, work, int8, fp32);
            if (Boolean.parseBoolean(System.getProperty("bench.header", "true"))) {
                System.out.println(
                        "| network, data | bits | held-out images: bits equal, codes equal"
                                + " | all images: bits equal, codes equal | mAP fp32 | mAP int8 | mAP int8 queries, fp32 database |");
                System.out.println("|---|---:|---|---|---:|---:|---:|");
            }
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %,d: %.2f%%, %.2f%% | %,d: %.2f%%, %.2f%% | %.4f | %.4f (%+.4f) | %.4f (%+.4f) |%n",
                    label,
                    s.model.bits(),
                    heldOut.images,
                    100 * heldOut.bits,
                    100 * heldOut.codes,
                    all.images,
                    100 * all.bits,
                    100 * all.codes,
                    map32,
                    map8,
                    map8 - map32,
                    mixed,
                    mixed - map32);
        } finally {
            spark.stop();
        }
    }

    /** Equal bits and equal codes of two code tables of the same images. */
    private static final class Agreement {
        final long images;
        final double bits, codes;

        private Agreement(long images, double bits, double codes) {
            this.images = images;
            this.bits = bits;
            this.codes = codes;
        }

        static Agreement of(SparkSession spark, String a, String b, boolean heldOut) {
            Dataset<Row> x = spark.read().parquet(a), y = spark.read().parquet(b);
            if (heldOut) x = x.where(functions.col("split").equalTo("query"));
            long bitsDiffer = 0, codesDiffer = 0, images = 0;
            int bits = 0;
            for (Row r : x.select(x.col("id"), x.col("bits"), x.col("code").as("a"))
                    .join(y.select(y.col("id"), y.col("code").as("b")), "id")
                    .collectAsList()) {
                List<Long> wa = r.getList(2), wb = r.getList(3);
                int differ = 0;
                for (int i = 0; i < wa.size(); i++) differ += Long.bitCount(wa.get(i) ^ wb.get(i));
                bits = r.getInt(1);
                bitsDiffer += differ;
                if (differ > 0) codesDiffer++;
                images++;
            }
            if (images == 0) throw new IllegalStateException("no images in both " + a + " and " + b);
            return new Agreement(images, 1 - bitsDiffer / (double) (images * bits), 1 - codesDiffer / (double) images);
        }
    }

    private static double map(SparkSession spark, List<String> base, File work, String queries, String database)
            throws Exception {
        String report =
                new File(work, "report-" + new File(queries).getName() + "-" + new File(database).getName()).toString();
        return EvaluateJob.run(
                        spark,
                        JobRuns.settings(
                                base,
                                "jobs.evaluate.query-codes=" + queries,
                                "jobs.evaluate.database-codes=" + database,
                                "paths.report=" + report))
                .map;
    }
}
