package io.mlh.jobs.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A new JVM on the build's own jars (the Spark home, the mini DFS), with the opens Spark 2.4 and
 * Hadoop 2.6 need on JDK 17 and its output in a log file: how the cluster tests run daemons and
 * {@code spark-submit} outside the test JVM's classpath.
 */
final class Jvm {
    /** The opens Spark 2.4 needs on JDK 17, for the daemons, the submitting driver and the executors. */
    static final List<String> OPENS = opens(
            "java.lang",
            "java.lang.invoke",
            "java.lang.reflect",
            "java.io",
            "java.net",
            "java.nio",
            "java.util",
            "java.util.concurrent",
            "java.util.concurrent.atomic",
            "sun.nio.ch",
            "sun.nio.cs",
            "sun.security.action",
            "sun.util.calendar",
            "jdk.internal.ref",
            "jdk.internal.misc");

    private final List<String> cmd = new ArrayList<>(), launcher = new ArrayList<>();
    private final ProcessBuilder builder = new ProcessBuilder().redirectErrorStream(true);

    /** {@code classpath}: entries joined with the path separator (directories, or {@code dir/*}). */
    Jvm(String heap, String mainClass, String... classpath) {
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(heap);
        cmd.addAll(OPENS);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classpath));
        cmd.add(mainClass);
        if (ON_AMD) builder.environment().put("MKL_DEBUG_CPU_TYPE", "5");
    }

    /**
     * MKL picks slow generic kernels on AMD CPUs unless told their AVX2 kernels are safe
     * ({@code MKL_DEBUG_CPU_TYPE=5}); on Intel CPUs the setting forces AVX2 over AVX-512 and costs 8%
     * (README, `make bench-train`). So the harness sets it only on AMD, as the Makefile does.
     */
    static final boolean ON_AMD = onAmd();

    private static boolean onAmd() {
        try {
            return new String(
                            Files.readAllBytes(Paths.get("/proc/cpuinfo")), java.nio.charset.StandardCharsets.US_ASCII)
                    .contains("AuthenticAMD");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** A build output directory of another module, e.g. {@code spark-home/target/spark-home}. */
    static Path moduleOutput(String module, String dir) {
        Path home = Paths.get("..", module, "target", dir).toAbsolutePath().normalize();
        if (!Files.isDirectory(home.resolve("jars"))) {
            throw new IllegalStateException(
                    home + " is missing: it is assembled by `mvn package` (the integration tests run in verify)");
        }
        return home;
    }

    Jvm args(String... args) {
        cmd.addAll(Arrays.asList(args));
        return this;
    }

    Jvm args(List<String> args) {
        cmd.addAll(args);
        return this;
    }

    /** The process's working directory (daemons that write beside it, such as Hadoop's mini DFS). */
    Jvm directory(Path dir) {
        builder.directory(dir.toFile());
        return this;
    }

    /** A command that runs the JVM's command line, given as its last arguments (e.g. {@code unshare ... sh -c ...}). */
    Jvm launchedBy(String... command) {
        launcher.addAll(Arrays.asList(command));
        return this;
    }

    Jvm env(String key, String value) {
        builder.environment().put(key, value);
        return this;
    }

    /** Starts the JVM; when it ends, the test's output says how long it ran (where an integration test's minutes go). */
    Process start(Path log) throws IOException {
        List<String> all = new ArrayList<>(launcher);
        all.addAll(cmd);
        long started = System.nanoTime();
        Process p = builder.command(all).redirectOutput(log.toFile()).start();
        Thread timer = new Thread(
                () -> {
                    try {
                        int code = p.waitFor();
                        System.out.printf(
                                "jvm %s: exit %d after %.1f s%n",
                                log.getFileName(), code, (System.nanoTime() - started) / 1e9);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "jvm-timer-" + log.getFileName());
        timer.setDaemon(true);
        timer.start();
        return p;
    }

    /** Runs to the end (at most {@code minutes}); returns the exit code. */
    int run(Path log, int minutes) throws Exception {
        Process p = start(log);
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    cmd.get(cmd.indexOf("-cp") + 2) + " did not finish in " + minutes + " minutes; see " + log);
        }
        return p.exitValue();
    }

    /** The last lines of a log, for failure messages. */
    static String tail(Path log, int lines) throws IOException {
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static List<String> opens(String... packages) {
        List<String> out = new ArrayList<>();
        for (String p : packages) out.add("--add-opens=java.base/" + p + "=ALL-UNNAMED");
        return out;
    }
}
