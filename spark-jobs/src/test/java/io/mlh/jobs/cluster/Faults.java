package io.mlh.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.OutputClaim;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What the fault-injection tests share: the jobs of a small CIFAR-10 pipeline submitted through
 * Spark's submit entry point (to a standalone master or local[2]), waits for what marks a moment in a
 * job's life, and readings of the jobs' logs and outputs.
 */
final class Faults {
    static final String SHARD = "io.mlh.jobs.shard.ShardJob", EVALUATE = "io.mlh.jobs.evaluate.EvaluateJob";

    /** 400 JPEGs (40 a class): 50 queries, 350 database images, 200 of them for training. */
    static List<String> conf(Path images, Path out, int epochs) {
        return conf(images, out.toString(), epochs);
    }

    /** The same with the outputs under any Hadoop path ({@code hdfs://...}). */
    static List<String> conf(Path images, String out, int epochs) {
        return new ArrayList<>(Arrays.asList(
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
                "train.epochs=" + epochs,
                "train.batch-size=32",
                "paths.shards=" + out + "/shards",
                "paths.model=" + out + "/model",
                "paths.codes=" + out + "/codes",
                "paths.report=" + out + "/report"));
    }

    static Path images(Path dir) throws Exception {
        return CifarSubset.extract(dir.resolve("images"), "00[0-3]*");
    }

    static List<String> with(List<String> conf, String... more) {
        List<String> out = new ArrayList<>(conf);
        out.addAll(Arrays.asList(more));
        return out;
    }

    /** spark-submit's arguments for one job: {@code mainClass} null runs the jar's own main class. */
    static List<String> submitArgs(String mainClass, String jar, List<String> conf, String... sparkArgs) {
        List<String> args = new ArrayList<>(Arrays.asList(sparkArgs));
        if (mainClass != null) args.addAll(Arrays.asList("--class", mainClass));
        args.add(Paths.get("target", jar).toAbsolutePath().toString());
        args.addAll(conf);
        return args;
    }

    static void assertExit(int expected, Process p, Path log) throws Exception {
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(log + ": no end in 15 minutes\n" + Jvm.tail(log, 40));
        }
        assertEquals(expected, p.exitValue(), rootCause(log) + "\n" + log + "\n" + digest(log));
    }

    /** As {@link #assertExit(int, Process, Path)}, with what the cluster's executors logged about each failure. */
    static void assertExit(int expected, Process p, Path log, StandaloneCluster cluster) throws Exception {
        try {
            assertExit(expected, p, log);
        } catch (AssertionError e) {
            StringBuilder executors = new StringBuilder(e.getMessage());
            for (Path stderr : cluster.executorLogs())
                executors.append("\n--- ").append(stderr).append('\n').append(digest(stderr));
            throw new AssertionError(executors.toString(), e);
        }
    }

    /** The last exception a log names, its deepest cause where it gives one: the first line a failure report shows. */
    static String rootCause(Path log) throws IOException {
        String last = "no exception in the log";
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("Caused by") || (line.contains("Exception") && !line.startsWith("\t"))) last = line;
        }
        return last.trim();
    }

    /** What a failed job's log says: the jobs' own lines and every exception's first line, then the tail. */
    static String digest(Path log) throws IOException {
        List<String> key = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.contains(" io.mlh")
                    || line.contains("Job: ")
                    || line.contains("Exception")
                    || line.startsWith("Caused by")) key.add(line);
        }
        return String.join("\n", key.subList(Math.max(0, key.size() - 40), key.size())) + "\n...\n" + Jvm.tail(log, 15);
    }

    /** The line a job that failed ends with: {@code mlh-<job>: <what is wrong>} (its {@code Command}'s report). */
    static String failureLine(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) if (lines.get(i).matches("mlh-[a-z]+: .*")) return lines.get(i);
        return "no failure line in " + log;
    }

    /** Polls until {@code condition} holds; fails if {@code job} ends first or after {@code seconds}. */
    static void await(String what, Process job, Path log, int seconds, BooleanSupplier condition) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (!job.isAlive()) throw new AssertionError("the job ended before " + what + "\n" + Jvm.tail(log, 40));
            if (System.nanoTime() > end)
                throw new AssertionError("no " + what + " in " + seconds + " s\n" + Jvm.tail(log, 40));
            Thread.sleep(50);
        }
    }

    /**
     * The process ({@code pid}) that holds the claim on {@code target}, once a complete claim is there;
     * fails if every one of {@code jobs} ends first or after {@code seconds}.
     */
    static String claimHolder(Path target, int seconds, Process... jobs) throws Exception {
        Path claim = Paths.get(OutputClaim.fileOf(new org.apache.hadoop.fs.Path(target.toString()))
                .toString());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                String process = json(claim).path("process").asText(); // "pid@host"
                if (process.contains("@")) return process.substring(0, process.indexOf('@'));
            } catch (IOException notYet) {
                // no claim yet, or released meanwhile
            }
            if (Arrays.stream(jobs).noneMatch(Process::isAlive))
                throw new AssertionError("every job ended before a claim on " + target + " was seen");
            if (System.nanoTime() > end) throw new AssertionError("no claim on " + target + " in " + seconds + " s");
            Thread.sleep(50);
        }
    }

    /**
     * Sends {@code signal} (STOP, CONT) to the process {@code pid}: a job held still keeps its claim and
     * state while another starts, however slowly that one comes up.
     */
    static void signal(String signal, String pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }

    /** The process id of {@code p} ({@code Process.pid()} of the JDK the tests run on; this code is Java 8). */
    static String pid(Process p) throws Exception {
        return String.valueOf(Process.class.getMethod("pid").invoke(p));
    }

    /** SIGKILL, as a crash or the OOM killer ends a JVM; waits until it is gone. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("a killed JVM did not end");
    }

    /** The epochs the committed checkpoints under {@code <model>-checkpoints} hold, ascending. */
    static List<Integer> checkpoints(Path model) {
        Path dir = model.resolveSibling(model.getFileName() + "-checkpoints");
        if (!Files.isDirectory(dir)) return new ArrayList<>();
        try (Stream<Path> all = Files.list(dir)) {
            return all.filter(p -> p.getFileName().toString().matches("epoch-\\d+")
                            && Files.exists(p.resolve("_MLH_COMMITTED")))
                    .map(p -> Integer.parseInt(p.getFileName().toString().substring(6)))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The Parquet part files written so far under the hidden staging directories of {@code table}. */
    static List<Path> stagedParts(Path table) {
        try (Stream<Path> all = Files.walk(table.getParent())) {
            return all.filter(p -> p.toString().contains("/." + table.getFileName() + ".staging-")
                            && p.getFileName().toString().startsWith("part-"))
                    .collect(Collectors.toList());
        } catch (IOException | java.io.UncheckedIOException raced) {
            return java.util.Collections.emptyList(); // a task renamed a file while it was listed
        }
    }

    static boolean committed(Path table) {
        return Files.exists(table.resolve("_MLH_COMMITTED"));
    }

    /** The epochs a train log reports as finished ("epoch N/M: L=..."), in order. */
    static List<Integer> epochsLogged(Path log) throws IOException {
        Matcher m = Pattern.compile("epoch (\\d+)/\\d+: L=").matcher(read(log));
        List<Integer> epochs = new ArrayList<>();
        while (m.find()) epochs.add(Integer.parseInt(m.group(1)));
        return epochs;
    }

    static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    /** train.epochs as the model's metadata records it (the effective config of the run that wrote it). */
    static int epochsInMetadata(Path model) throws IOException {
        String config = json(model.resolve("metadata.json")).path("config").asText();
        return com.typesafe.config.ConfigFactory.parseString(config).getInt("mlh.train.epochs");
    }

    /** A committed table holds {@code n} rows, {@code n} distinct ids, and its manifest says {@code n}. */
    static void assertEveryRowOnce(SparkSession spark, Path table, long n) throws IOException {
        long listed =
                CommittedOutput.verified(new Configuration(), table.toString()).rows();
        Dataset<Row> rows = spark.read().parquet(table.toString());
        assertEquals(n, rows.count(), table + ": rows");
        assertEquals(n, rows.select("id").distinct().count(), table + ": distinct ids");
        assertEquals(n, listed, table + ": rows its manifest lists");
    }

    static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i <= to; i++) r.add(i);
        return r;
    }

    private Faults() {}
}
