package io.mlh.bench;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.train.TrainJob;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/** The job settings of a benchmark that runs the jobs on a trained model, as users run them. */
final class JobRuns {
    private JobRuns() {}

    /**
     * The settings {@code args[from..]} ({@code config.conf | -} and overrides) on {@code local[2]},
     * overwriting outputs and without report galleries.
     */
    static List<String> base(String[] args, int from) {
        List<String> base = new ArrayList<>(Arrays.asList(args).subList(from, args.length));
        base.add(1, "spark.master=local[2]"); // after the profile, before the overrides
        base.add("jobs.overwrite=true");
        base.add("jobs.evaluate.gallery-queries=0");
        return base;
    }

    static JobSettings settings(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(Arrays.asList(more));
        return JobSettings.fromArgs(a.toArray(new String[0]));
    }

    /** Shards the images unless paths.shards is committed, and trains unless paths.model is. */
    static void trainIfAbsent(SparkSession spark, JobSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (!CommittedOutput.isCommitted(hadoop, s.shardsPath)) ShardJob.run(spark, s);
        if (!CommittedOutput.isCommitted(hadoop, s.modelPath)) TrainJob.run(spark, s);
    }
}
