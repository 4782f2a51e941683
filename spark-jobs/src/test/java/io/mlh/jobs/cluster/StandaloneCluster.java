package io.mlh.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
    /** The opens Spark 2.4 needs on JDK 17, for the daemons, the submitting driver and the executors. */
    public static final List<String> OPENS = opens("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net",
            "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs",
            "sun.security.action", "sun.util.calendar", "jdk.internal.ref", "jdk.internal.misc");

    public final Path sparkHome, workDir;
    public final String masterUrl;
    private final List<Process> daemons = new ArrayList<>();

    public StandaloneCluster(Path workDir, int workers, int coresPerWorker, String memoryPerWorker) throws Exception {
        this.sparkHome = sparkHome();
        this.workDir = Files.createDirectories(workDir);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        daemons.add(start("master", "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort())));
        waitForPort(port, 60);
        for (int w = 0; w < workers; w++) {
            Path dir = Files.createDirectories(workDir.resolve("worker-" + w));
            daemons.add(start("worker-" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--cores", Integer.toString(coresPerWorker), "--memory", memoryPerWorker,
                    "--webui-port", Integer.toString(freePort()), "--work-dir", dir.toString(), masterUrl));
        }
    }

    /** The build's SPARK_HOME; fails clearly when {@code mvn package} has not assembled it. */
    public static Path sparkHome() {
        Path home = Paths.get("..", "spark-home", "target", "spark-home").toAbsolutePath();
        if (!Files.isDirectory(home.resolve("jars"))) {
            throw new IllegalStateException(home + " is missing: it is assembled by `mvn package` (the integration tests run in verify)");
        }
        return home;
    }

    /** Runs Spark's submit entry point in a new JVM, like {@code spark-submit}; returns its exit code. */
    public int submit(Path log, List<String> submitArgs) throws Exception {
        List<String> cmd = java("org.apache.spark.deploy.SparkSubmit", "-Xmx3g");
        cmd.addAll(Arrays.asList("--master", masterUrl, "--deploy-mode", "client",
                "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", OPENS) + " -Dbigdl.engineType=mklblas",
                "--conf", "spark.executorEnv.MKL_DEBUG_CPU_TYPE=5",
                "--conf", "spark.ui.enabled=false"));
        cmd.addAll(submitArgs);
        Process p = builder(cmd, log).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("spark-submit did not finish in 30 minutes; see " + log);
        }
        return p.exitValue();
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

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = java(mainClass, "-Xmx512m");
        cmd.addAll(Arrays.asList(args));
        return builder(cmd, workDir.resolve(name + ".log")).start();
    }

    private List<String> java(String mainClass, String heap) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(heap);
        cmd.addAll(OPENS);
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("jars") + File.separator + "*");
        cmd.add(mainClass);
        return cmd;
    }

    private ProcessBuilder builder(List<String> cmd, Path log) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        // the worker's launcher otherwise looks for a source build's scala-2.xx directories
        pb.environment().put("SPARK_SCALA_VERSION", "2.11");
        pb.environment().put("MKL_DEBUG_CPU_TYPE", "5");
        return pb;
    }

    private static List<String> opens(String... packages) {
        List<String> out = new ArrayList<>();
        for (String p : packages) out.add("--add-opens=java.base/" + p + "=ALL-UNNAMED");
        return out;
    }

    private static int freePort() throws IOException {
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
