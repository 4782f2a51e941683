package io.mlh.jobs.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1: one master and N workers, each its own JVM, started
 * from the SPARK_HOME the build assembles from the project's own Spark 2.4.8 jars
 * ({@code spark-home/target/spark-home}, made by {@code mvn package}); jobs go in through Spark's own
 * submit entry point, as spark-submit sends them.
 */
public final class StandaloneCluster implements AutoCloseable {
    public final Path sparkHome, workDir;
    public final String masterUrl;
    private final List<Process> daemons = new ArrayList<>();

    public StandaloneCluster(Path workDir, int workers, int coresPerWorker, String memoryPerWorker) throws Exception {
        this.sparkHome = sparkHome();
        this.workDir = Files.createDirectories(workDir);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        daemons.add(spark("-Xmx512m", "org.apache.spark.deploy.master.Master")
                .args(
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--webui-port",
                        Integer.toString(freePort()))
                .start(workDir.resolve("master.log")));
        waitForPort(port, 60);
        for (int w = 0; w < workers; w++) {
            Path dir = Files.createDirectories(workDir.resolve("worker-" + w));
            daemons.add(spark("-Xmx512m", "org.apache.spark.deploy.worker.Worker")
                    .args(
                            "--host",
                            "127.0.0.1",
                            "--cores",
                            Integer.toString(coresPerWorker),
                            "--memory",
                            memoryPerWorker,
                            "--webui-port",
                            Integer.toString(freePort()),
                            "--work-dir",
                            dir.toString(),
                            masterUrl)
                    .start(workDir.resolve("worker-" + w + ".log")));
        }
    }

    /** The build's SPARK_HOME; fails clearly when {@code mvn package} has not assembled it. */
    public static Path sparkHome() {
        return Jvm.moduleOutput("spark-home", "spark-home");
    }

    /** Runs Spark's submit entry point against this cluster in a new JVM; returns its exit code. */
    public int submit(Path log, List<String> submitArgs) throws Exception {
        return submit(masterUrl, log, submitArgs);
    }

    /**
     * Runs Spark's submit entry point in a new JVM, as {@code spark-submit --master <master>} does, with
     * the executors' JDK 17 opens; returns its exit code.
     */
    public static int submit(String master, Path log, List<String> submitArgs) throws Exception {
        return submit(master, "-Xmx3g", log, submitArgs);
    }

    /** As {@link #submit(String, Path, List)} with the submitting JVM's (in client mode: the driver's) heap, e.g. {@code -Xmx5g}. */
    public static int submit(String master, String heap, Path log, List<String> submitArgs) throws Exception {
        return submitter(master, heap, submitArgs).run(log, 30);
    }

    /** Starts Spark's submit entry point against this cluster in a new JVM and returns at once: the driver, for fault injection. */
    public Process start(Path log, List<String> submitArgs) throws Exception {
        return start(masterUrl, log, submitArgs);
    }

    /** Starts Spark's submit entry point in a new JVM and returns at once: the driver, for fault injection. */
    public static Process start(String master, Path log, List<String> submitArgs) throws Exception {
        return submitter(master, "-Xmx3g", submitArgs).start(log);
    }

    /** Spark's submit entry point as a new JVM, not yet started. */
    static Jvm submitter(String master, String heap, List<String> submitArgs) {
        List<String> args = new ArrayList<>(Arrays.asList(
                "--master",
                master,
                "--deploy-mode",
                "client",
                "--conf",
                "spark.executor.extraJavaOptions=" + String.join(" ", Jvm.OPENS),
                "--conf",
                "spark.ui.enabled=false"));
        if (Jvm.ON_AMD) args.addAll(Arrays.asList("--conf", "spark.executorEnv.MKL_DEBUG_CPU_TYPE=5"));
        args.addAll(submitArgs);
        return spark(heap, "org.apache.spark.deploy.SparkSubmit").args(args);
    }

    /** Every executor's stderr so far (the workers keep them under {@code worker-N/<app>/<executor>/}). */
    public List<Path> executorLogs() throws java.io.IOException {
        List<Path> logs = new ArrayList<>();
        for (int w = 0; w < workers().size(); w++) {
            Path dir = workDir.resolve("worker-" + w);
            try (java.util.stream.Stream<Path> files = Files.walk(dir, 3)) {
                files.filter(f -> f.getFileName().toString().equals("stderr"))
                        .sorted()
                        .forEach(logs::add);
            }
        }
        return logs;
    }

    /** The worker JVMs, for fault injection. */
    public List<Process> workers() {
        return daemons.subList(1, daemons.size());
    }

    @Override
    public void close() {
        for (Process p : daemons) p.destroy();
        for (Process p : daemons) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Jvm spark(String heap, String mainClass) {
        Path home = sparkHome();
        return new Jvm(heap, mainClass, home.resolve("jars").resolve("*").toString())
                .env("SPARK_HOME", home.toString())
                .env("SPARK_LOCAL_IP", "127.0.0.1")
                // the worker's launcher otherwise looks for a source build's scala-2.xx directories
                .env("SPARK_SCALA_VERSION", "2.11");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the Spark master did not open port " + port + " in " + seconds + " s");
    }
}
