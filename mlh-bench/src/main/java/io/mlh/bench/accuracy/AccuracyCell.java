package io.mlh.bench.accuracy;

import io.mlh.bench.accuracy.AccuracyGrid.Cell;
import io.mlh.bench.accuracy.AccuracyGrid.DataSet;
import io.mlh.bench.accuracy.AccuracyGrid.Variant;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.train.TrainJob;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

/**
 * One step of the accuracy benchmark, in its own JVM (BigDL's engine is JVM-wide, and a fresh JVM per
 * cell keeps one run's state out of the next):
 * <ul>
 *   <li>{@code prepare <data set> <work> <cifar root>}: writes the data set's shard table once
 *       (the mosaic images first), with the profile's split protocol;</li>
 *   <li>{@code cell <data set> <variant> <bits> <seed> <work> <cifar root>}: train job, encode job and
 *       evaluate job exactly as a user runs them (Spark {@code local[2]}, MKL-DNN), then prints one
 *       line {@code RESULT key=value ...} for {@link AccuracyBench}.</li>
 * </ul>
 */
public final class AccuracyCell {
    private AccuracyCell() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("prepare")) {
            prepare(DataSet.of(args[1]), Paths.get(args[2]), args[3]);
        } else {
            Cell cell = new Cell(
                    DataSet.of(args[1]), Variant.of(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            run(cell, Paths.get(args[5]), args[6]);
        }
    }

    static void prepare(DataSet d, Path work, String cifarRoot) throws Exception {
        if (d == DataSet.MOSAIC) MosaicSet.write(mosaicImages(work), 42);
        JobSettings s = JobSettings.fromArgs(settings(d, work, cifarRoot).toArray(new String[0]));
        SparkSession spark = Spark.start("accuracy-prepare-" + d.id, s);
        try {
            ShardJob.Result r = ShardJob.run(spark, s);
            System.out.printf(
                    "PREPARED %s queries=%d database=%d train=%d rejects=%d%n",
                    d.id, r.queries, r.database, r.trainFlagged + r.trainOnly, r.rejects);
        } finally {
            spark.stop();
        }
    }

    static void run(Cell cell, Path work, String cifarRoot) throws Exception {
        Path out = work.resolve("cells").resolve(cell.dirName());
        List<String> a = settings(cell.data, work, cifarRoot);
        a.addAll(cell.variant.overrides);
        a.addAll(Arrays.asList(
                "bits=" + cell.bits,
                "seed=" + cell.seed,
                "paths.model=" + out.resolve("model"),
                "paths.codes=" + out.resolve("codes"),
                "paths.report=" + out.resolve("report")));
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        SparkSession spark = Spark.start("accuracy-" + cell.dirName(), s);
        try {
            long t0 = System.nanoTime();
            TrainJob.Result trained = TrainJob.run(spark, s);
            long t1 = System.nanoTime();
            EncodeJob.run(spark, s);
            long t2 = System.nanoTime();
            EvaluateJob.Result r = EvaluateJob.run(spark, s);
            long t3 = System.nanoTime();
            // the model and its checkpoints are not kept (10 MB an epoch); the codes and the report are
            FileSystem fs = new org.apache.hadoop.fs.Path(s.modelPath)
                    .getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.delete(new org.apache.hadoop.fs.Path(s.modelPath + "-checkpoints"), true);
            fs.delete(new org.apache.hadoop.fs.Path(s.modelPath), true);
            System.out.println(String.format(
                    Locale.ROOT,
                    "RESULT map=%.6f top_k=%d p_h2=%.6f p_at_1000=%.6f queries=%d database=%d epochs=%d train_img_s=%.1f train_s=%.0f encode_s=%.0f evaluate_s=%.0f",
                    r.map,
                    r.mapAt,
                    r.precisionWithinRadius2,
                    precisionAt(r, 1000),
                    r.queries,
                    r.database,
                    s.model.epochs(),
                    trained.imagesPerSecond,
                    (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9,
                    (t3 - t2) / 1e9));
        } finally {
            spark.stop();
        }
    }

    private static double precisionAt(EvaluateJob.Result r, int n) {
        for (int i = 0; i < r.precisionAt.length; i++) if (r.precisionAt[i] == n) return r.precisionAtN[i];
        return Double.NaN;
    }

    /** The data set's profile and protocol, the shard table's place, and what every cell shares. */
    static List<String> settings(DataSet d, Path work, String cifarRoot) {
        List<String> a = new ArrayList<>();
        a.add(d.profile == null ? "-" : d.profile);
        a.addAll(Arrays.asList(
                "spark.master=local[2]",
                "train.engine=mkldnn",
                "jobs.overwrite=true",
                "train.epochs=" + d.epochs,
                "jobs.evaluate.map-at=" + d.topK,
                "data.shards=8",
                "paths.shards=" + work.resolve(d.id).resolve("shards")));
        if (d == DataSet.CIFAR10 || d == DataSet.CIFAR10_2) a.add("data.root=" + new File(cifarRoot).getAbsolutePath());
        if (d == DataSet.MOSAIC) {
            a.addAll(Arrays.asList(
                    "data.source=list",
                    "data.root=" + mosaicImages(work),
                    "classes=" + MosaicSet.CLASSES,
                    "model.input-channels=1",
                    "model.input-size=28",
                    "data.mean=[0.2860]",
                    "data.std=[0.3530]"));
        }
        return a;
    }

    static Path mosaicImages(Path work) {
        return work.resolve("mosaic").resolve("images").toAbsolutePath();
    }
}
