package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.search.SearchJob;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code make bench-search}: the search job ({@link SearchJob}) end to end against faiss {@code
 * IndexBinaryFlat} on the same 64-bit codes. Synthetic committed code tables ({@link SyntheticCodeTable})
 * hold the queries and a database of each size; the job ranks every query's top 10 and writes the
 * neighbours table, and its wall time over query x database pairs gives pairs/s a core: the whole job
 * (opening the tables, the one pass that checks and indexes the database, the duplicate-id check,
 * the broadcast, the merge and the Parquet write) on {@code bench.master}. faiss ranks the first {@code bench.faiss-queries} queries of the
 * same codes on as many threads as the job has cores (its search call alone), and its top-10 distances
 * must equal the job's, query by query. The driver's peak live heap (a full collection every second;
 * on the standalone cluster the bench starts, the executor is a JVM of its own, so it is the driver's
 * alone) shows whether it grows with the database. The first table is searched once untimed before
 * its timed run, so that no row carries the JVM's warm-up.
 *
 * <p>System properties: bench.sizes (database codes, comma-separated), bench.queries (comma-separated,
 * ascending: the first size runs with each, the others with the last), bench.faiss-queries, bench.cores (the job's cores, and faiss's threads),
 * bench.spark-home (a SPARK_HOME: run on a standalone master and worker of its jars; else local[cores]),
 * bench.dir, python, script.
 */
public final class SearchSpeedBench {
    private static final int BITS = 64, K = 10;
    private static final long SEED = 11;

    private SearchSpeedBench() {}

    public static void main(String[] args) throws Exception {
        String[] sizes = System.getProperty("bench.sizes", "1000000,10000000").split(",");
        String[] queryCounts = System.getProperty("bench.queries", "2500,10000").split(",");
        int faissQueries = Integer.getInteger("bench.faiss-queries", 1000),
                cores = Integer.getInteger("bench.cores", 2);
        String sparkHome = System.getProperty("bench.spark-home", "");
        List<Process> cluster = new ArrayList<>();
        String master = sparkHome.isEmpty() ? "local[" + cores + "]" : standalone(sparkHome, cores, cluster);
        File dir = new File(System.getProperty("bench.dir", "mlh-bench/target/bench-search")).getAbsoluteFile();
        String python = System.getProperty("python", "/usr/bin/python3"),
                script = System.getProperty("script", "mlh-bench/python/faiss_rank.py");
        Path tmp = Files.createTempDirectory("mlh-search-bench");

        SparkSession spark =
                Spark.start("search-bench", JobSettings.fromArgs(new String[] {"-", "spark.master=" + master}));
        System.out.printf(
                Locale.ROOT,
                "%nsearch job, top %d of %d-bit codes, %s (%d cores); faiss IndexBinaryFlat on %d threads, its first %d"
                        + " queries%n",
                K,
                BITS,
                master,
                cores,
                cores,
                faissQueries);
        System.out.println("| database | queries | job s | job pairs/s/core | faiss pairs/s/core | job / faiss"
                + " | driver peak live MB | top-10 distances equal to faiss |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---|");
        List<String> notes = new ArrayList<>();
        boolean cold = true;
        try {
            for (String size : sizes) {
                long n = Long.parseLong(size.trim());
                for (String count : queryCounts) {
                    int q = Integer.parseInt(count.trim());
                    // the smaller query counts on the first size only (linearity in queries), the largest on every size
                    if (!size.equals(sizes[0]) && !count.equals(queryCounts[queryCounts.length - 1])) continue;
                    String table = new File(dir, "codes-" + q + "q-" + n).getPath();
                    if (!CommittedOutput.isCommitted(new Configuration(), table))
                        SyntheticCodeTable.write(spark, table, q, n, BITS, SEED);
                    String neighbours = new File(dir, "neighbours-" + q + "q-" + n).getPath();
                    JobSettings s = JobSettings.fromArgs(new String[] {
                        "-",
                        "spark.master=" + master,
                        "jobs.search.query-codes=" + table,
                        "jobs.search.database-codes=" + table,
                        "jobs.search.k=" + K,
                        "jobs.overwrite=true",
                        "jobs.progress-interval=60s",
                        "paths.neighbours=" + neighbours
                    });
                    if (cold) { // the first job of a JVM loads classes and compiles Spark's plans: not the search's
                        // cost
                        SearchJob.run(spark, s);
                        cold = false;
                    }
                    HeapWatch heap = new HeapWatch();
                    long start = System.nanoTime();
                    SearchJob.run(spark, s);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    heap.close();
                    double ours = (double) q * n / seconds / cores;

                    int fq = Math.min(faissQueries, q);
                    PackedCodes queries = SyntheticCodeTable.codes(q, n, BITS, SEED, 0, fq);
                    PackedCodes database = SyntheticCodeTable.codes(q, n, BITS, SEED, q, q + n);
                    File distances = tmp.resolve("faiss-distances.i32").toFile();
                    Map<Integer, double[]> faiss = FaissFlat.search(
                            python, script, tmp, database, queries, K, new int[] {cores}, 0.5, distances);
                    String theirs = "-", ratio = "-", equal = "n/a";
                    if (faiss.containsKey(cores)) {
                        double rate = (double) fq * n / faiss.get(cores)[0] / cores;
                        theirs = String.format(Locale.ROOT, "%.3g", rate);
                        ratio = String.format(Locale.ROOT, "%.1fx", ours / rate);
                        equal = String.valueOf(sameDistances(spark, neighbours, fq, distances, notes));
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "| %,d | %,d | %.1f | %.3g | %s | %s | %d | %s |%n",
                            n,
                            q,
                            seconds,
                            ours,
                            theirs,
                            ratio,
                            heap.peakLive() >> 20,
                            equal);
                }
            }
        } finally {
            spark.stop();
            for (Process p : cluster) p.destroy();
            for (File f : tmp.toFile().listFiles()) f.delete();
            tmp.toFile().delete();
        }
        for (String note : notes) System.out.println("- " + note);
    }

    /**
     * A Spark standalone master and one worker of {@code cores} cores on 127.0.0.1, from {@code sparkHome}'s
     * jars, each its own JVM: the driver (this JVM) then holds only the driver's state. Returns the
     * master's URL.
     */
    private static String standalone(String sparkHome, int cores, List<Process> started) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        String url = "spark://127.0.0.1:" + port;
        String javaBin =
                Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String jars = sparkHome + "/jars/*";
        File logs = Files.createTempDirectory("mlh-search-bench-cluster").toFile();
        started.add(new ProcessBuilder(
                        javaBin,
                        "-Xmx512m",
                        "-cp",
                        jars,
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--webui-port",
                        "0")
                .redirectErrorStream(true)
                .redirectOutput(new File(logs, "master.log"))
                .start());
        ProcessBuilder worker = new ProcessBuilder(
                        javaBin,
                        "-Xmx512m",
                        "-cp",
                        jars,
                        "org.apache.spark.deploy.worker.Worker",
                        "--host",
                        "127.0.0.1",
                        "--cores",
                        String.valueOf(cores),
                        "--memory",
                        "6g",
                        "--webui-port",
                        "0",
                        "--work-dir",
                        new File(logs, "work").getPath(),
                        url)
                .redirectErrorStream(true)
                .redirectOutput(new File(logs, "worker.log"));
        worker.environment().put("SPARK_HOME", sparkHome);
        worker.environment().put("SPARK_SCALA_VERSION", "2.11");
        started.add(worker.start());
        for (long end = System.nanoTime() + 60_000_000_000L; ; Thread.sleep(200)) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                break;
            } catch (IOException notYet) {
                if (System.nanoTime() > end) throw new IllegalStateException("no Spark master on " + url + "; " + logs);
            }
        }
        return url;
    }

    /** Whether the neighbours table's distances of queries 0..fq-1 (ids 0..fq-1) equal faiss's, rank by rank. */
    private static boolean sameDistances(SparkSession spark, String neighbours, int fq, File faiss, List<String> notes)
            throws Exception {
        int[][] ours = new int[fq][K];
        for (Row r : spark.read()
                .parquet(neighbours)
                .filter("query_id < " + fq)
                .select("query_id", "rank", "distance")
                .collectAsList()) ours[(int) r.getLong(0)][r.getInt(1) - 1] = r.getInt(2);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(faiss)))) {
            int[] theirs = new int[K];
            for (int q = 0; q < fq; q++) {
                for (int r = 0; r < K; r++) theirs[r] = Integer.reverseBytes(in.readInt()); // little-endian int32
                if (!Arrays.equals(theirs, ours[q])) {
                    notes.add(neighbours + ": query " + q + " has distances " + Arrays.toString(ours[q]) + ", faiss "
                            + Arrays.toString(theirs));
                    return false;
                }
            }
        }
        return true;
    }
}
