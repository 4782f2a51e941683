package io.mlh.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on a real standalone cluster (a master and two one-core workers on 127.0.0.1,
 * started from the build's SPARK_HOME), submitted through Spark's own submit entry point with the
 * shaded jars: shard a small real CIFAR-10 image-folder subset, train synchronously on 2 executors,
 * encode, evaluate.
 */
class ClusterPipelineIT {
    /**
     * The shaded jar as a new user first tries it through spark-submit: --help, no arguments, a misspelt
     * key and a missing input, each answered in its own words without a stack trace.
     */
    @Test
    void theJarAnswersANewUser(@TempDir Path dir) throws Exception {
        String jar = Paths.get("target", "mlh-encode.jar").toAbsolutePath().toString();
        String help = submit(dir, "help", 0, jar, "--help");
        assertTrue(help.contains("usage: spark-submit --class io.mlh.jobs.encode.EncodeJob mlh-encode.jar"), help);
        assertTrue(help.contains("\n  jobs.encode.batch-size = 64\n      images a forward pass"), help);
        String none = submit(dir, "no-arguments", 2, jar);
        assertTrue(none.contains("mlh-encode: no arguments: give a config file, or - for the defaults"), none);
        String typo = submit(dir, "typo", 2, jar, "-", "bitz=32");
        assertTrue(typo.contains("mlh-encode: config key 'mlh.bitz': unknown key; did you mean 'mlh.bits'?"), typo);
        Path model = dir.resolve("no-model");
        String missing = submit(dir, "missing", 2, jar, "-", "paths.model=" + model);
        assertTrue(missing.contains("mlh-encode: input " + model + " does not exist"), missing);
    }

    /** Submits on local[1]; the log, checked for the exit status and for no stack trace of a user error. */
    private static String submit(Path dir, String name, int status, String... args) throws Exception {
        Path log = dir.resolve(name + ".log");
        int code = StandaloneCluster.submit("local[1]", log, Arrays.asList(args));
        String out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        assertEquals(status, code, out);
        assertFalse(out.contains("Exception in thread") || out.contains("\tat io.mlh."), out);
        return out;
    }

    @Test
    void shardTrainEncodeEvaluateOnTwoExecutors(@TempDir Path dir) throws Exception {
        Path images = CifarSubset.extract(dir.resolve("images"), "00[0-3]*"); // 40 JPEGs a class
        Path out = dir.resolve("out");
        List<String> conf = Arrays.asList(
                "-",
                "classes=10",
                "bits=32",
                "model.input-channels=3",
                "model.input-size=32",
                "data.source=folder",
                "data.root=" + images.resolve("cifar10"),
                "data.folder-split=train",
                "data.queries-per-class=5",
                "data.train-per-class=20",
                "data.shards=4",
                "data.mean=[0.49,0.48,0.45]",
                "data.std=[0.25,0.24,0.26]",
                "train.epochs=2",
                "train.batch-size=32",
                "paths.shards=" + out.resolve("shards"),
                "paths.model=" + out.resolve("model"),
                "paths.codes=" + out.resolve("codes"),
                "paths.report=" + out.resolve("report"));
        Path jars = Paths.get("target").toAbsolutePath();
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 2, 1, "2g")) {
            run(cluster, dir, "shard", "io.mlh.jobs.shard.ShardJob", jars.resolve("mlh-train.jar"), conf);
            run(cluster, dir, "train", null, jars.resolve("mlh-train.jar"), conf);
            run(cluster, dir, "encode", null, jars.resolve("mlh-encode.jar"), conf);
            run(cluster, dir, "evaluate", "io.mlh.jobs.evaluate.EvaluateJob", jars.resolve("mlh-encode.jar"), conf);
        }
        for (String table : new String[] {"shards", "model", "codes", "report"}) {
            assertTrue(Files.exists(out.resolve(table).resolve("_MLH_COMMITTED")), table + " was not committed");
        }
        String trainLog = new String(Files.readAllBytes(dir.resolve("train.log")), "UTF-8");
        assertTrue(trainLog.contains("epoch 2/2"), "no per-epoch log line for epoch 2");
        assertTrue(trainLog.contains("Executor number is 2"), "training did not run on 2 executors");
        JsonNode metrics = new ObjectMapper()
                .readTree(out.resolve("report").resolve("metrics.json").toFile());
        assertEquals(32, metrics.path("bits").asInt());
        assertEquals(50, metrics.path("queries").asInt(-1), metrics.toString());
        assertEquals(350, metrics.path("database").asInt(-1), metrics.toString());
        double map = metrics.path("map").asDouble(-1);
        assertTrue(map > 0 && map <= 1, "mAP " + map);
    }

    private static void run(
            StandaloneCluster cluster, Path dir, String name, String mainClass, Path jar, List<String> conf)
            throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(
                "--executor-memory",
                "1200m",
                "--total-executor-cores",
                "2",
                "--conf",
                "spark.executor.cores=1",
                "--conf",
                "spark.cores.max=2"));
        if (mainClass != null) args.addAll(Arrays.asList("--class", mainClass));
        args.add(jar.toString());
        args.addAll(conf);
        Path log = dir.resolve(name + ".log");
        int code = cluster.submit(log, args);
        assertEquals(0, code, name + " failed; its log: " + log + "\n" + Jvm.tail(log, 40));
    }
}
