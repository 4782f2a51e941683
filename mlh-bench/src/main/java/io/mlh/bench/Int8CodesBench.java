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
 * codes equal to fp32; on every image, the share of bits whose fp32 value is far from 0 (|u| >= 0.5) and
 * of those int8 keeps, and the median and largest fp32 |u| of the bits int8 flips; the evaluate job's mAP
 * with fp32 codes, int8 codes, and int8 queries against the fp32 database.
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
            EncodeJob.run(spark, JobRuns.settings(base, "paths.codes=" + fp32, "jobs.encode.continuous=true"));
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
                System.out.println("| network, data | bits | held-out images: bits equal, codes equal"
                        + " | all images: bits equal, codes equal | bits with fp32 |u| >= 0.5: share, equal"
                        + " | flipped bits' fp32 |u|: median, largest"
                        + " | mAP fp32 | mAP int8 | mAP int8 queries, fp32 database |");
                System.out.println("|---|---:|---|---|---|---|---:|---:|---:|");
            }
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %,d: %.2f%%, %.2f%% | %,d: %.2f%%, %.2f%% | %.2f%%, %.3f%% | %.3f, %.3f"
                            + " | %.4f | %.4f (%+.4f) | %.4f (%+.4f) |%n",
                    label,
                    s.model.bits(),
                    heldOut.images,
                    100 * heldOut.bits,
                    100 * heldOut.codes,
                    all.images,
                    100 * all.bits,
                    100 * all.codes,
                    100 * all.confident,
                    100 * all.confidentEqual,
                    all.flippedMedian,
                    all.flippedLargest,
                    map32,
                    map8,
                    map8 - map32,
                    mixed,
                    mixed - map32);
        } finally {
            spark.stop();
        }
    }

    /**
     * Equal bits and equal codes of two code tables of the same images, the first with its continuous
     * codes: where int8 flips a bit, how far the fp32 value was from 0 (a value near 0 is a coin toss for
     * any rounding), and how many of the bits fp32 is sure of ({@code |u| >= 0.5}) stay.
     */
    private static final class Agreement {
        static final double SURE = 0.5;
        final long images;
        final double bits, codes, confident, confidentEqual, flippedMedian, flippedLargest;

        private Agreement(
                long images, double bits, double codes, double confident, double confidentEqual, double[] flipped) {
            this.images = images;
            this.bits = bits;
            this.codes = codes;
            this.confident = confident;
            this.confidentEqual = confidentEqual;
            java.util.Arrays.sort(flipped);
            this.flippedMedian = flipped.length == 0 ? 0 : flipped[flipped.length / 2];
            this.flippedLargest = flipped.length == 0 ? 0 : flipped[flipped.length - 1];
        }

        static Agreement of(SparkSession spark, String a, String b, boolean heldOut) {
            Dataset<Row> x = spark.read().parquet(a), y = spark.read().parquet(b);
            if (heldOut) x = x.where(functions.col("split").equalTo("query"));
            long bitsDiffer = 0, codesDiffer = 0, images = 0, sure = 0, sureDiffer = 0;
            int bits = 0;
            List<Double> flipped = new java.util.ArrayList<>();
            for (Row r : x.select(x.col("id"), x.col("bits"), x.col("code").as("a"), x.col("continuous"))
                    .join(y.select(y.col("id"), y.col("code").as("b")), "id")
                    .collectAsList()) {
                List<Long> wa = r.getList(2), wb = r.getList(4);
                List<Float> u = r.getList(3);
                bits = r.getInt(1);
                int differ = 0;
                for (int k = 0; k < bits; k++) {
                    boolean flips = ((wa.get(k >>> 6) ^ wb.get(k >>> 6)) >>> (k & 63) & 1) != 0;
                    double magnitude = Math.abs(u.get(k));
                    if (flips) {
                        differ++;
                        flipped.add(magnitude);
                    }
                    if (magnitude >= SURE) {
                        sure++;
                        if (flips) sureDiffer++;
                    }
                }
                bitsDiffer += differ;
                if (differ > 0) codesDiffer++;
                images++;
            }
            if (images == 0) throw new IllegalStateException("no images in both " + a + " and " + b);
            return new Agreement(
                    images,
                    1 - bitsDiffer / (double) (images * bits),
                    1 - codesDiffer / (double) images,
                    sure / (double) (images * bits),
                    sure == 0 ? 1 : 1 - sureDiffer / (double) sure,
                    flipped.stream().mapToDouble(Double::doubleValue).toArray());
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
