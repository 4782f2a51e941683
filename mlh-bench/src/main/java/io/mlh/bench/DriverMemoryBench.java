package io.mlh.bench;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * {@code make bench-memory}: the evaluate job's heap against database size. Writes synthetic committed
 * code tables ({@link SyntheticCodeTable}) of growing size, then evaluates each (mAP over the whole
 * database, the worst case for memory) in its own JVM on Spark local[2] with one small fixed heap.
 * Spark's sort and shuffle pages go off that heap, so it holds the driver's state and the tasks'
 * working objects. Prints the peak live heap (a full collection every second), the peak heap after
 * any collection, and the throughput in query x code pairs a second: over the whole job (table
 * checks, range shuffle and sort included) and over the two passes alone (each scores every pair).
 * With {@code -Dbench.baseline=<classes dir>} each size also runs with those (older) evaluate classes
 * first on the class path, for the old-vs-new difference.
 *
 * <p>System properties: bench.sizes (database rows, comma-separated), bench.queries, bench.bits,
 * bench.heap (-Xmx of each evaluation JVM), bench.dir (tables and logs), bench.timeout (seconds an
 * evaluation may take), bench.baseline.
 */
public final class DriverMemoryBench {
    static final String OFF_HEAP = "2g";
    private static final Pattern PASSES =
            Pattern.compile("pass 1 \\(counts\\) ([0-9.]+) s, pass 2 \\(sums\\) ([0-9.]+) s");

    private DriverMemoryBench() {}

    public static void main(String[] args) throws Exception {
        String[] sizes =
                System.getProperty("bench.sizes", "100000,1000000,4000000").split(",");
        int queries = Integer.getInteger("bench.queries", 1000), bits = Integer.getInteger("bench.bits", 64);
        String heap = System.getProperty("bench.heap", "768m"), baseline = System.getProperty("bench.baseline", "");
        File dir = new File(System.getProperty("bench.dir", "mlh-bench/target/bench-memory")).getAbsoluteFile();
        long timeout = Long.getLong("bench.timeout", 240);

        List<String> tables = new ArrayList<>();
        for (String size : sizes)
            tables.add(new File(dir, "codes-" + queries + "q-" + size.trim() + "-" + bits + "b").getPath());
        writeMissing(tables, sizes, queries, bits);

        System.out.printf(
                Locale.ROOT,
                "%nevaluate, %d queries, %d-bit codes, mAP@all, Spark local[2], each run its own JVM at -Xmx%s"
                        + " (Spark's sort and shuffle pages off the heap, up to %s)%n",
                queries,
                bits,
                heap,
                OFF_HEAP);
        System.out.println();
        System.out.println(
                "| database | version | result | job s | both passes s | pairs/s job | pairs/s passes | idle MB "
                        + "| peak live MB | peak after-GC MB |");
        System.out.println("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
        boolean oldFailed = false;
        for (int i = 0; i < sizes.length; i++) {
            Map<String, String> now = run("new", "", tables.get(i), dir, heap, timeout, sizes[i].trim());
            if (!baseline.isEmpty() && oldFailed) {
                System.out.printf(
                        Locale.ROOT,
                        "| %,d | old | skipped (failed on a smaller database) |%n",
                        Long.parseLong(sizes[i].trim()));
            } else if (!baseline.isEmpty()) {
                Map<String, String> old = run("old", baseline, tables.get(i), dir, heap, timeout, sizes[i].trim());
                oldFailed = old.isEmpty();
                if (now.containsKey("peakLive") && old.containsKey("peakLive")) {
                    System.out.printf(
                            Locale.ROOT,
                            "- %,d codes: old - new = %s MB peak live heap; the same mAP: %s%n",
                            Long.parseLong(sizes[i].trim()),
                            HeapWatch.mb(Long.parseLong(old.get("peakLive")) - Long.parseLong(now.get("peakLive"))),
                            old.get("map").equals(now.get("map")));
                }
            }
        }
    }

    /** Writes the tables not already there (this JVM's own local Spark; not measured). */
    private static void writeMissing(List<String> tables, String[] sizes, int queries, int bits) throws IOException {
        SparkSession spark = null;
        try {
            for (int i = 0; i < tables.size(); i++) {
                if (CommittedOutput.isCommitted(new org.apache.hadoop.conf.Configuration(), tables.get(i))) continue;
                if (spark == null)
                    spark = Spark.start(
                            "bench-memory-tables", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
                long t0 = System.nanoTime();
                SyntheticCodeTable.write(
                        spark,
                        new Path(tables.get(i)).toString(),
                        queries,
                        Long.parseLong(sizes[i].trim()),
                        bits,
                        2024);
                System.out.printf(Locale.ROOT, "wrote %s (%.1f s)%n", tables.get(i), (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            if (spark != null) spark.stop();
        }
    }

    /** One evaluation in a fresh JVM; prints its row and returns its figures (none if it failed). */
    private static Map<String, String> run(
            String version, String classesFirst, String table, File dir, String heap, long timeout, String size)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx" + heap);
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Dlog4j")) cmd.add(a);
        }
        cmd.add("-Dspark.sql.shuffle.partitions=8"); // the table checks' aggregation; 200 tasks would only add time
        // Spark's sort and shuffle pages off the heap: in local mode the executors share this JVM, and their
        // pages (bounded by Spark's memory manager, not by the job) would otherwise hide what the driver holds
        cmd.add("-Dspark.memory.offHeap.enabled=true");
        cmd.add("-Dspark.memory.offHeap.size=" + OFF_HEAP);
        cmd.add("-cp");
        cmd.add((classesFirst.isEmpty() ? "" : classesFirst + File.pathSeparator)
                + System.getProperty("java.class.path"));
        cmd.add(EvaluateOnce.class.getName());
        cmd.add(table);
        cmd.add(new File(dir, "report-" + version + "-" + size).getPath());
        File log = new File(dir, "evaluate-" + version + "-" + size + ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
        String result;
        if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            result = "timeout";
        } else {
            result = p.exitValue() == 0 ? "ok" : p.exitValue() == 3 ? "OOM" : "exit " + p.exitValue();
        }
        Map<String, String> figures = new HashMap<>();
        for (String line : Files.readAllLines(log.toPath(), StandardCharsets.UTF_8)) {
            Matcher passes = PASSES.matcher(line); // EvaluateJob's own log line (the two-pass job only)
            if (passes.find())
                figures.put(
                        "passes",
                        Double.toString(Double.parseDouble(passes.group(1)) + Double.parseDouble(passes.group(2))));
            if (!line.startsWith(EvaluateOnce.RESULT)) continue;
            for (String kv : line.substring(EvaluateOnce.RESULT.length()).trim().split(" "))
                figures.put(kv.split("=")[0], kv.split("=")[1]);
        }
        if (figures.isEmpty() || !result.equals("ok")) {
            if (result.equals("ok")) result = "no result";
            System.out.printf(
                    Locale.ROOT, "| %,d | %s | %s (%s) |%n", Long.parseLong(size), version, result, log.getName());
            figures.clear();
            return figures;
        }
        double seconds = Double.parseDouble(figures.get("seconds"));
        double pairs = Double.parseDouble(figures.get("queries")) * Double.parseDouble(figures.get("database"));
        String passes = figures.containsKey("passes")
                ? String.format(Locale.ROOT, "%.1f", Double.parseDouble(figures.get("passes")))
                : "-";
        String passRate = figures.containsKey("passes")
                ? String.format(Locale.ROOT, "%.2e", 2 * pairs / Double.parseDouble(figures.get("passes")))
                : "-";
        System.out.printf(
                Locale.ROOT,
                "| %,d | %s | %s | %.1f | %s | %.2e | %s | %s | %s | %s |%n",
                Long.parseLong(size),
                version,
                result,
                seconds,
                passes,
                pairs / seconds,
                passRate,
                HeapWatch.mb(Long.parseLong(figures.get("idle"))),
                HeapWatch.mb(Long.parseLong(figures.get("peakLive"))),
                HeapWatch.mb(Long.parseLong(figures.get("peakAfterGc"))));
        return figures;
    }
}
