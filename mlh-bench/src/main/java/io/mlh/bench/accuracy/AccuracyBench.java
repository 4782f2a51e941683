package io.mlh.bench.accuracy;

import io.mlh.bench.accuracy.AccuracyGrid.Cell;
import io.mlh.bench.accuracy.AccuracyGrid.DataSet;
import io.mlh.jobs.common.CommittedOutput;
import java.io.BufferedWriter;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code make bench-accuracy}: trains and evaluates the cells of {@link AccuracyGrid} that the results
 * table does not hold yet, each in its own JVM ({@link AccuracyCell}), appending one row per finished
 * cell; then prints the summary ({@link AccuracySummary}). Resumable: a cut-short run loses at most
 * the cell it was in; the next run skips every finished cell.
 *
 * <p>System properties: {@code accuracy.results} (the CSV), {@code accuracy.work} (shards and per-cell
 * outputs), {@code accuracy.cifar} (the CIFAR-10 folder root), {@code accuracy.sets} (comma-separated
 * data set ids), {@code accuracy.cells} (a regular expression over {@code dataset,variant,bits,seed}: only
 * the matching cells, probes included; empty = the whole grid), {@code accuracy.budget-minutes} (no new cell starts after this; 0 = none),
 * {@code accuracy.heap} (each cell's -Xmx).
 */
public final class AccuracyBench {
    static final String HEADER =
            "dataset,variant,bits,seed,map,top_k,p_h2,p_at_1000,queries,database,epochs,train_img_s,"
                    + "train_s,encode_s,evaluate_s,finished,commit";

    private AccuracyBench() {}

    public static void main(String[] args) throws Exception {
        Path results = Paths.get(System.getProperty("accuracy.results", "mlh-bench/results/accuracy.csv"));
        Path work = Paths.get(System.getProperty("accuracy.work", "mlh-bench/target/accuracy"))
                .toAbsolutePath();
        String cifar = System.getProperty("accuracy.cifar", "mlh-bench/target/data/cifar10");
        double budget = Double.parseDouble(System.getProperty("accuracy.budget-minutes", "0"));
        String heap = System.getProperty("accuracy.heap", "6g");
        List<DataSet> sets = new ArrayList<>();
        for (String id : System.getProperty("accuracy.sets", "fashion-mnist,cifar10,cifar10-2,mosaic")
                .split(",")) sets.add(DataSet.of(id.trim()));

        Set<String> done = AccuracySummary.read(results).stream()
                .map(AccuracySummary.Row::key)
                .collect(Collectors.toSet());
        String pattern = System.getProperty("accuracy.cells", "").trim();
        List<Cell> grid = pattern.isEmpty() ? AccuracyGrid.cells(sets) : AccuracyGrid.cells(sets, pattern);
        List<Cell> todo = grid.stream().filter(c -> !done.contains(c.key())).collect(Collectors.toList());
        System.out.printf(
                Locale.ROOT, "accuracy: %d cells to run (%d done) into %s%n", todo.size(), done.size(), results);
        long start = System.nanoTime();
        String commit = commit();
        Set<DataSet> prepared = new java.util.HashSet<>();
        int ran = 0;
        for (Cell cell : todo) {
            double minutes = (System.nanoTime() - start) / 6e10;
            if (budget > 0 && minutes >= budget) {
                System.out.printf(
                        Locale.ROOT,
                        "accuracy: time budget of %.0f min used; %d cells left for the next run%n",
                        budget,
                        todo.size() - ran);
                break;
            }
            if (prepared.add(cell.data)
                    && !CommittedOutput.isCommitted(
                            new org.apache.hadoop.conf.Configuration(),
                            work.resolve(cell.data.id).resolve("shards").toString())) {
                child(work, heap, "prepare-" + cell.data.id, "prepare", cell.data.id, work.toString(), cifar);
            }
            System.out.printf(Locale.ROOT, "accuracy: [%d/%d] %s ...%n", ran + 1, todo.size(), cell);
            Map<String, String> r = child(
                    work,
                    heap,
                    cell.dirName(),
                    "cell",
                    cell.data.id,
                    cell.variant.id,
                    Integer.toString(cell.bits),
                    Integer.toString(cell.seed),
                    work.toString(),
                    cifar);
            append(results, cell, r, commit);
            System.out.printf(
                    Locale.ROOT,
                    "accuracy: %s: mAP %s (train %s s at %s img/s)%n",
                    cell,
                    r.get("map"),
                    r.get("train_s"),
                    r.get("train_img_s"));
            ran++;
        }
        AccuracySummary.print(AccuracySummary.read(results), System.out);
    }

    /** Runs {@link AccuracyCell} in a fresh JVM with its output in work/logs; returns its RESULT figures. */
    private static Map<String, String> child(Path work, String heap, String name, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx" + heap);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Dlog4j")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AccuracyCell.class.getName());
        for (String a : args) cmd.add(a);
        Path log = work.resolve("logs").resolve(name + ".log");
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        // a benchmark stopped by a signal stops its cell too, rather than leave it training unseen
        Thread stopCell = new Thread(p::destroyForcibly, "accuracy-stop-cell");
        Runtime.getRuntime().addShutdownHook(stopCell);
        try {
            if (!p.waitFor(6, TimeUnit.HOURS)) p.destroyForcibly().waitFor();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopCell);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running: the JVM is exiting and the cell is being stopped
            }
        }
        Map<String, String> figures = new LinkedHashMap<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.startsWith("PREPARED")) System.out.println("accuracy: " + line);
            if (!line.startsWith("RESULT ")) continue;
            for (String kv : line.substring(7).trim().split(" ")) figures.put(kv.split("=")[0], kv.split("=")[1]);
        }
        if (p.exitValue() != 0 || (args[0].equals("cell") && figures.isEmpty())) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> System.err.println("  | " + l));
            throw new IllegalStateException(name + " failed (exit " + p.exitValue() + "); its log: " + log);
        }
        return figures;
    }

    /** Appends one row and forces it to disk before the next cell starts. */
    private static void append(Path results, Cell cell, Map<String, String> r, String commit) throws IOException {
        boolean fresh = !Files.exists(results) || Files.size(results) == 0;
        if (results.getParent() != null) Files.createDirectories(results.getParent());
        try (FileOutputStream out = new FileOutputStream(results.toFile(), true);
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
            if (fresh) w.write(HEADER + "\n");
            w.write(String.join(
                            ",",
                            cell.data.id,
                            cell.variant.id,
                            Integer.toString(cell.bits),
                            Integer.toString(cell.seed),
                            r.get("map"),
                            r.get("top_k"),
                            r.get("p_h2"),
                            r.get("p_at_1000"),
                            r.get("queries"),
                            r.get("database"),
                            r.get("epochs"),
                            r.get("train_img_s"),
                            r.get("train_s"),
                            r.get("encode_s"),
                            r.get("evaluate_s"),
                            Instant.now().toString().substring(0, 19) + "Z",
                            commit)
                    + "\n");
            w.flush();
            out.getFD().sync();
        }
    }

    /** The checkout's commit, so a row says which code produced it. */
    private static String commit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
                    .redirectErrorStream(true)
                    .start();
            String s = new String(readAll(p.getInputStream()), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? s : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    private static byte[] readAll(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (int n; (n = in.read(buf)) > 0; ) b.write(buf, 0, n);
        return b.toByteArray();
    }
}
