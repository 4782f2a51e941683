package io.mlh.bench;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.calibrate.CalibrateJob;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.inference.ImageEncoder;
import io.mlh.jobs.inference.Precision;
import io.mlh.jobs.shard.ShardJob;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Img/s of the encode job end to end, as {@code spark-submit mlh-encode.jar} runs it on {@code local[2]}:
 * Parquet shard table of CIFAR-10 JPEGs -> decode and normalise -> MLH network (vgg-small, MoH shared
 * K = 4, 64 bits) -> sign codes packed -> Parquet code table, committed; the clock covers
 * {@code EncodeJob.run} alone. Not timed: sharding the images, saving a model bundle (an untrained
 * network: the cost does not depend on the weights) and a warm-up encode of a 1,280-image subset (128
 * at 224 px). The overrides may name another data set and network, e.g. the derived 224-px list files
 * with {@code model.backbone=resnet-50 model.input-size=224 data.centre-crop=0.875}. With {@code
 * jobs.encode.precision=int8} the bundle is first calibrated (mlh-calibrate on 64 of its training
 * images, not timed) and encoding runs the calibrated one.
 *
 * <p>Prints {@code <group> <label> <img/s>} for {@link SpeedTable} ({@link SpeedTable#group}).
 * Arguments: label, the CIFAR-10 folder root (…/cifar10), a work directory, [key=value ...] (e.g. train.engine=mkldnn).
 */
public final class EncodeSpeedBench {
    private EncodeSpeedBench() {}

    public static void main(String[] args) throws Exception {
        String label = args[0];
        List<String> a = arguments(args);
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        MlhConfig c = s.model;
        SparkSession spark = Spark.start("encode-speed", s);
        try {
            Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            shardAndSaveUntrained(spark, s);
            s = calibratedFor(spark, a, ImageEncoder.PRECISION);

            String subset = new File(s.modelPath).getParent() + "/warm-up-shards";
            Path staging = CommittedOutput.stage(hadoop, subset, true);
            spark.read()
                    .parquet(s.shardsPath)
                    .limit(c.inputSize() >= 224 ? 128 : 1280)
                    .write()
                    .mode(SaveMode.Overwrite)
                    .parquet(staging.toString());
            CommittedOutput.commit(hadoop, staging, subset);
            EncodeJob.run(spark, JobSettings.fromArgs(with(a, "paths.shards=" + subset)));

            long t0 = System.nanoTime();
            long n = EncodeJob.run(spark, s);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String group = SpeedTable.group("encode", c);
            System.out.printf("%s %s %.1f%n", group, label, n / seconds);
            System.out.printf("# %s %s: %d images in %.1f s%n", group, label, n, seconds);
        } finally {
            spark.stop();
        }
    }

    /**
     * The job settings of a run on the images under {@code args[1]} (a CIFAR-10 folder root, or with
     * {@code data.source=list} a list-file set) with its outputs under {@code args[2]}, then the
     * overrides {@code args[3..]}.
     */
    static List<String> arguments(String[] args) {
        String root = args[1];
        File work = new File(args[2]).getAbsoluteFile();
        List<String> a = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=local[2]",
                "data.source=folder",
                "data.root=" + root,
                "data.folder-split=test",
                "data.mean=[0.4914, 0.4822, 0.4465]",
                "data.std=[0.2470, 0.2435, 0.2616]",
                "jobs.overwrite=true",
                "data.shards=4",
                "paths.shards=" + new File(work, "shards"),
                "paths.model=" + new File(work, "model"),
                "paths.codes=" + new File(work, "codes")));
        a.addAll(Arrays.asList(args).subList(3, args.length));
        return a;
    }

    /**
     * Shards the images (unless their table is committed) and saves a model bundle of an untrained
     * network: what encoding costs does not depend on the weights.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void shardAndSaveUntrained(SparkSession spark, JobSettings s) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlhConfig c = s.model;
        if (!CommittedOutput.isCommitted(hadoop, s.shardsPath)) ShardJob.run(spark, s);
        HashCentres centres = HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance());
        Framing framing = Framing.of(c);
        new ModelBundle(
                        (AbstractModule) MlhNet.build(c),
                        c,
                        centres,
                        framing.mean(),
                        framing.std(),
                        framing.centreCrop())
                .save(hadoop, s.modelPath, true, s.claims);
    }

    /**
     * The settings of {@code a}, which, when {@code precision} says int8, first gains the bundle calibrated
     * on 64 of its training images (not timed) as paths.model.
     */
    static JobSettings calibratedFor(SparkSession spark, List<String> a, Key<Precision> precision) throws IOException {
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        if (s.model.reader().get(precision) != Precision.INT8) return s;
        a.add("paths.model=" + CalibrateJob.run(spark, JobSettings.fromArgs(with(a, "jobs.calibrate.images=64"))));
        return JobSettings.fromArgs(a.toArray(new String[0]));
    }

    private static String[] with(List<String> args, String override) {
        List<String> b = new ArrayList<>(args);
        b.add(override);
        return b.toArray(new String[0]);
    }
}
