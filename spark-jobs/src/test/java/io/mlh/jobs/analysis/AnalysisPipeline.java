package io.mlh.jobs.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import io.mlh.jobs.search.SearchJob;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.train.TrainJob;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real pipeline run on local Spark that the analysis tests read: 600 Fashion-MNIST images (IDX files
 * cut from the real ones) sharded, trained for two epochs, encoded with the MoH gate weights, evaluated
 * twice (the second report compared with the first), searched. It runs once a JVM, for the first test
 * class that asks ({@link Use}); each class stops the session when it ends, so the classes after it
 * start their own.
 */
final class AnalysisPipeline {
    static final int PER_PART = 300, EPOCHS = 2, BITS = 16;
    static final Path NOTEBOOKS = Paths.get("..", "notebooks");
    static final ObjectMapper JSON = new ObjectMapper();

    /** The run's outputs, removed when the JVM ends. */
    static Path dir;

    static SparkSession spark;
    private static Level sparkLevel;
    static final List<String> progressLines = Collections.synchronizedList(new ArrayList<>());
    private static final AppenderSkeleton capture = new AppenderSkeleton() {
        @Override
        protected void append(LoggingEvent event) {
            progressLines.add(event.getRenderedMessage());
        }

        @Override
        public void close() {}

        @Override
        public boolean requiresLayout() {
            return false;
        }
    };
    static ShardJob.Result shards;
    static TrainJob.Result trained;
    static long encoded;
    static EvaluateJob.Result evaluated, compared;
    static long neighbours;
    private static boolean ran;

    private AnalysisPipeline() {}

    /**
     * Runs the pipeline the first time a test class asks; after that, restarts the session a class
     * before it stopped (the outputs stay on disk).
     */
    static synchronized void use() throws IOException {
        sparkLevel = Logger.getLogger("org.apache.spark").getLevel();
        Logger.getLogger("org.apache.spark").setLevel(Level.WARN);
        if (!ran) {
            dir = Files.createTempDirectory("mlh-analysis-");
            Runtime.getRuntime().addShutdownHook(new Thread(AnalysisPipeline::delete, "mlh-analysis-cleanup"));
            runPipeline();
            ran = true;
        } else if (spark.sparkContext().isStopped()) {
            startSpark();
        }
    }

    /** A test class over the pipeline's outputs: {@code @ExtendWith(AnalysisPipeline.Use.class)}. */
    static final class Use implements BeforeAllCallback, AfterAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            use();
        }

        @Override
        public void afterAll(ExtensionContext context) {
            release();
        }
    }

    /** Stops the session, so that test classes after this one start their own. */
    static synchronized void release() {
        if (spark != null) spark.stop();
        Logger.getLogger("org.apache.spark").setLevel(sparkLevel);
    }

    private static void startSpark() {
        spark = Spark.start("analysis-test", settings());
        spark.conf().set("spark.sql.shuffle.partitions", "4");
    }

    private static void delete() {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // the JVM is ending: a temporary directory left behind is all that is lost
        }
    }

    private static void runPipeline() throws IOException {
        Logger.getLogger(Progress.class).setLevel(Level.INFO);
        Logger.getLogger(Progress.class).addAppender(capture);
        Path idx = Files.createDirectories(dir.resolve("idx"));
        for (String part : new String[] {"train", "t10k"}) cutIdx(part, idx);

        startSpark();
        shards = ShardJob.run(spark, settings());
        trained = TrainJob.run(spark, settings());
        encoded = EncodeJob.run(spark, settings("jobs.encode.gates=true", "jobs.encode.continuous-int8=true"));
        evaluated = EvaluateJob.run(spark, settings());
        // a 32-bit run's report beside this one (its figures by hand: a second real run would double the test's time)
        Path other = dir.resolve("report-32");
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop, other.toString(), false);
        Files.write(
                Paths.get(staging.toUri().getPath()).resolve("metrics.json"),
                "{\"bits\": 32, \"top_k\": 0, \"map\": 0.5}".getBytes(StandardCharsets.UTF_8));
        CommittedOutput.commit(hadoop, staging, other.toString());
        compared = EvaluateJob.run(
                spark,
                settings(
                        "paths.report=" + dir.resolve("report-compared"),
                        "jobs.evaluate.compare-reports=[\"" + dir.resolve("report") + "\", \"" + other + "\"]"));
        neighbours = SearchJob.run(spark, settings());
        Logger.getLogger(Progress.class).removeAppender(capture);
    }

    static JobSettings settings(String... more) {
        List<String> args = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=local[2]",
                "model.input-channels=1",
                "model.input-size=28",
                "data.mean=[0.286]",
                "data.std=[0.353]",
                "bits=" + BITS,
                "train.batch-size=32",
                "train.epochs=" + EPOCHS,
                "data.root=" + dir.resolve("idx"),
                "data.queries-per-class=5",
                "data.train-per-class=20",
                "data.shards=4",
                "jobs.evaluate.partitions=3",
                "jobs.train.validation-queries=30",
                "jobs.train.validation-database=200",
                "jobs.progress-interval=0s",
                "paths.shards=" + dir.resolve("shards"),
                "paths.model=" + dir.resolve("model"),
                "paths.codes=" + dir.resolve("codes"),
                "paths.report=" + dir.resolve("report"),
                "paths.neighbours=" + dir.resolve("neighbours")));
        args.addAll(Arrays.asList(more));
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }

    /** The first PER_PART images and labels of the real Fashion-MNIST part, as uncompressed IDX files. */
    private static void cutIdx(String part, Path to) throws IOException {
        Path from = Paths.get("/usr/share/datasets/fashion-mnist");
        try (DataInputStream in = new DataInputStream(
                        new GZIPInputStream(Files.newInputStream(from.resolve(part + "-images-idx3-ubyte.gz"))));
                DataOutputStream out =
                        new DataOutputStream(Files.newOutputStream(to.resolve(part + "-images-idx3-ubyte")))) {
            out.writeInt(in.readInt());
            in.readInt();
            out.writeInt(PER_PART);
            int rows = in.readInt(), cols = in.readInt();
            out.writeInt(rows);
            out.writeInt(cols);
            byte[] px = new byte[PER_PART * rows * cols];
            in.readFully(px);
            out.write(px);
        }
        try (DataInputStream in = new DataInputStream(
                        new GZIPInputStream(Files.newInputStream(from.resolve(part + "-labels-idx1-ubyte.gz"))));
                DataOutputStream out =
                        new DataOutputStream(Files.newOutputStream(to.resolve(part + "-labels-idx1-ubyte")))) {
            out.writeInt(in.readInt());
            in.readInt();
            out.writeInt(PER_PART);
            byte[] labels = new byte[PER_PART];
            in.readFully(labels);
            out.write(labels);
        }
    }
}
