package io.mlh.bench;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * {@code make bench-rerank}: what re-ranking does to retrieval quality, through the jobs as users run
 * them. The model (trained first if {@code paths.model} is not committed, sharded first if {@code
 * paths.shards} is not) is encoded with its int8 continuous codes ({@code jobs.encode.continuous-int8});
 * the evaluate job then measures each order: the Hamming order alone ({@code jobs.rerank.mode = none})
 * and the first R re-ranked by the int8 cosine ({@code refine}, R = 100 and 1,000): mAP@all, mAP@1000,
 * mAP@10 and P@10, each from its own evaluate run on the same table.
 *
 * <p>Arguments: label, a work directory (codes, reports), then the job settings ({@code config.conf | -}
 * and overrides), on {@code local[2]}. Prints markdown table rows (with the header unless {@code
 * -Dbench.header=false}).
 */
public final class RerankQualityBench {
    private static final int[] CANDIDATES = {0, 100, 1000};

    private RerankQualityBench() {}

    public static void main(String[] args) throws Exception {
        String label = args[0];
        File work = new File(args[1]).getAbsoluteFile();
        List<String> base = JobRuns.base(args, 2);
        base.add("jobs.evaluate.precision-at=[10]");
        JobSettings s = JobRuns.settings(base);
        SparkSession spark = Spark.start("rerank-quality", s);
        try {
            JobRuns.trainIfAbsent(spark, s);
            String codes = new File(work, "codes-int8").toString();
            EncodeJob.run(spark, JobRuns.settings(base, "paths.codes=" + codes, "jobs.encode.continuous-int8=true"));
            if (Boolean.parseBoolean(System.getProperty("bench.header", "true"))) {
                System.out.println("| codes | bits | order | mAP@all | mAP@1000 | mAP@10 | P@10 |");
                System.out.println("|---|---:|---|---:|---:|---:|---:|");
            }
            double[] hamming = null;
            for (int r : CANDIDATES) {
                double[] f = new double[4];
                int at = 0;
                for (int cut : new int[] {0, 1000, 10}) {
                    EvaluateJob.Result e = evaluate(spark, base, work, codes, r, cut);
                    f[at++] = e.map;
                    if (cut == 10) f[3] = e.precisionAtN[0];
                }
                if (hamming == null) hamming = f;
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %d | %s | %s | %s | %s | %s |%n",
                        label,
                        s.model.bits(),
                        r == 0
                                ? "Hamming, ties by id"
                                : "Hamming top " + String.format(Locale.ROOT, "%,d", r) + ", re-ranked by int8 cosine",
                        figure(f[0], hamming[0], r),
                        figure(f[1], hamming[1], r),
                        figure(f[2], hamming[2], r),
                        figure(f[3], hamming[3], r));
            }
        } finally {
            spark.stop();
        }
    }

    private static String figure(double value, double hamming, int candidates) {
        return candidates == 0
                ? String.format(Locale.ROOT, "%.4f", value)
                : String.format(Locale.ROOT, "%.4f (%+.4f)", value, value - hamming);
    }

    private static EvaluateJob.Result evaluate(
            SparkSession spark, List<String> base, File work, String codes, int candidates, int mapAt)
            throws Exception {
        String report = new File(work, "report-" + candidates + "-" + mapAt).toString();
        List<String> a = new ArrayList<>(base);
        a.addAll(Arrays.asList(
                "paths.codes=" + codes,
                "paths.report=" + report,
                "jobs.evaluate.map-at=" + mapAt,
                "jobs.rerank.mode=" + (candidates == 0 ? "none" : "refine")));
        if (candidates > 0) a.add("jobs.rerank.candidates=" + candidates);
        return EvaluateJob.run(spark, JobSettings.fromArgs(a.toArray(new String[0])));
    }
}
