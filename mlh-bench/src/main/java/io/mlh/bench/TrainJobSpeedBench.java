package io.mlh.bench;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.train.TrainJob;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The train job's own throughput against the training step's, same JVM, same Spark session, same
 * config: {@link TrainJob#run} for a few epochs as {@code spark-submit mlh-train.jar} runs it (one
 * optimiser call an epoch with reserveOptim, probe, validation mAP and checkpoint after each), its last
 * epoch's img/s as its log prints it (the whole epoch); then {@link TrainSpeedBench}'s step on the same
 * network and batch. The data set is the demo's (the profile and overrides given, sharded once into
 * the work directory).
 *
 * <p>Prints {@code train-job-<engine> job <img/s>} and {@code train-job-<engine> step <img/s>} for
 * {@link SpeedTable}, which sets the job against the step. Arguments: a work directory, the profile,
 * [key=value ...].
 */
public final class TrainJobSpeedBench {
    private TrainJobSpeedBench() {}

    public static void main(String[] args) throws Exception {
        File work = new File(args[0]).getAbsoluteFile();
        List<String> a = new ArrayList<>(Arrays.asList(
                args[1],
                "spark.master=local[2]",
                "jobs.overwrite=true",
                "train.epochs=3",
                "paths.shards=" + new File(work, "shards"),
                "paths.model=" + new File(work, "model")));
        a.addAll(Arrays.asList(args).subList(2, args.length));
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        SparkSession spark = Spark.start("train-job-speed", s);
        try {
            if (!CommittedOutput.isCommitted(spark.sparkContext().hadoopConfiguration(), s.shardsPath))
                ShardJob.run(spark, s);
            TrainJob.Result job = TrainJob.run(spark, s);
            double step = TrainSpeedBench.run(spark, s.model, 20, 80);
            String group = "train-job-" + s.model.engine().configName();
            System.out.printf("%s job %.1f%n", group, job.imagesPerSecond);
            System.out.printf("%s step %.1f%n", group, step);
            System.out.printf(
                    "# %s: %s; step on %s, batch %d%n",
                    group, job, s.model.backbone().configName(), s.model.batchSize());
        } finally {
            spark.stop();
        }
    }
}
