package io.mlh.bench;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.train.Augmentation;
import io.mlh.jobs.train.ShardSamples;
import io.mlh.jobs.train.TrainSettings;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The 224-px input side on the derived ImageNet-style list-file set ({@code DerivedListSet}: CIFAR-10
 * JPEGs enlarged to 160-500 px): the shard job's throughput on {@code local[2]} (list files -> validated
 * JPEG bytes in the committed shard table), and what one core decodes into training samples through the
 * train job's own conversion ({@code ShardSamples}: OpenCV decode, random resized crop or centre crop,
 * resize to 224, flip, normalisation), timed on a single partition after a warm-up pass.
 *
 * <p>Prints {@code input-224 <label> <images/s>} lines for {@link SpeedTable}; with a last argument
 * {@code trainer=<img/s>} (the training step's figure on both cores) also the ratio of one core's decoding
 * to what the trainer consumes per core. Arguments: the derived set's {@code imagenet/} directory, a work
 * directory, [trainer=...].
 */
public final class InputSpeedBench {
    private InputSpeedBench() {}

    public static void main(String[] args) throws Exception {
        String root = new File(args[0]).getAbsolutePath();
        File work = new File(args[1]).getAbsoluteFile();
        double trainer = 0;
        for (String a : args) if (a.startsWith("trainer=")) trainer = Double.parseDouble(a.substring(8));
        List<String> a = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=local[2]",
                "classes=10",
                "model.backbone=resnet-50",
                "model.input-size=224",
                "data.source=list",
                "data.root=" + root,
                "data.shards=4",
                "data.centre-crop=0.875",
                "data.augment.flip=true",
                "data.augment.resized-crop=true",
                "jobs.overwrite=true",
                "paths.shards=" + new File(work, "shards")));
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        SparkSession spark = Spark.start("input-speed", s);
        try {
            ShardJob.run(spark, s); // warm-up: class loading, OpenCV, the JIT
            long t0 = System.nanoTime();
            ShardJob.Result sharded = ShardJob.run(spark, s);
            double shardRate = sharded.rows() / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("input-224 shard-job-list-files-2-cores %.1f%n", shardRate);

            Dataset<Row> rows = ShardTable.read(spark, s.shardsPath).coalesce(1).cache();
            long n = rows.count();
            TrainSettings t = new TrainSettings(s);
            Augmentation train = new Augmentation(t.flip, t.cropPadding, t.cropScale, t.cropRatio, s.model.seed(), 1);
            double trainRate = perCore(rows, s, train, n),
                    centreRate = perCore(rows, s, new Augmentation(false, 0, 0, 0), n);
            System.out.printf("input-224 decode-resized-crop-flip-1-core %.1f%n", trainRate);
            System.out.printf("input-224 decode-centre-crop-1-core %.1f%n", centreRate);
            if (trainer > 0) {
                System.out.printf("input-224 trainer-per-core %.1f%n", trainer / 2);
                System.out.printf(
                        "# one core decodes and augments %.1f images/s; the trainer consumes %.1f img/s per core (%.1f on 2): %.1fx%n",
                        trainRate, trainer / 2, trainer, trainRate / (trainer / 2));
            }
            System.out.printf("# %d images of %s, %d of them sharded%n", n, root, sharded.rows());
        } finally {
            spark.stop();
        }
    }

    /** Samples a second from one partition (one task, one core): a warm-up pass, then a timed one. */
    private static double perCore(Dataset<Row> rows, JobSettings s, Augmentation augmentation, long n) {
        Framing framing = Framing.of(s.model);
        ShardSamples.of(rows, framing, augmentation).count();
        long t0 = System.nanoTime();
        long counted = ShardSamples.of(rows, framing, augmentation).count();
        if (counted != n) throw new IllegalStateException("decoded " + counted + " of " + n + " images");
        return n / ((System.nanoTime() - t0) / 1e9);
    }
}
