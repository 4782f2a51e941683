package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.Refinement;
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
 * its timed run, so that no row carries the JVM's warm-up. The largest table is then searched again with
 * re-ranking ({@code jobs.rerank.mode = refine}, R = {@code bench.rerank}): each partition ranks its top R
 * with their int8 cosines and the first R are reordered; its top-10 ids for the first {@code
 * bench.faiss-queries} queries must equal a single-process brute force of the same definition ({@link
 * SyntheticCodeTable#topK}), and its rate is set against faiss's Hamming-only top 10.
 *
 * <p>System properties: bench.sizes (database codes, comma-separated), bench.queries (comma-separated,
 * ascending: the first size runs with each, the others with the last), bench.faiss-queries, bench.rerank (R; 0:
 * no re-ranked row), bench.cores (the job's cores, and faiss's threads),
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
                cores = Integer.getInteger("bench.cores", 2),
                rerank = Integer.getInteger("bench.rerank", 100);
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
        System.out.println("| database | queries | order | job s | job pairs/s/core | faiss pairs/s/core | job / faiss"
                + " | driver peak live MB | top 10 checked |");
        System.out.println("|---:|---:|---|---:|---:|---:|---:|---:|---|");
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
                    SyntheticCodeTable.ensure(spark, table, q, n, BITS, SEED);
                    String neighbours = new File(dir, "neighbours-" + q + "q-" + n).getPath();
                    if (cold) { // the first job of a JVM loads classes and compiles Spark's plans: not the search's
                        // cost
                        search(spark, master, table, neighbours, Refinement.NONE);
                        cold = false;
                    }
                    Timed hamming = search(spark, master, table, neighbours, Refinement.NONE);
                    // the re-ranked run before the reference's codes are made here, so that the driver's heap is the
                    // job's
                    boolean last =
                            size.equals(sizes[sizes.length - 1]) && count.equals(queryCounts[queryCounts.length - 1]);
                    Refinement refine = last && rerank > 0 ? Refinement.top(rerank) : Refinement.NONE;
                    String refined = neighbours + "-refine-" + rerank;
                    Timed reranked = refine.reranks() ? search(spark, master, table, refined, refine) : null;

                    int fq = Math.min(faissQueries, q);
                    PackedCodes queries = SyntheticCodeTable.codes(q, n, BITS, SEED, 0, fq);
                    PackedCodes database = SyntheticCodeTable.codes(q, n, BITS, SEED, q, q + n);
                    File distances = tmp.resolve("faiss-distances.i32").toFile();
                    Map<Integer, double[]> faiss = FaissFlat.search(
                            python, script, tmp, database, queries, K, new int[] {cores}, 0.5, distances);
                    double theirs = faiss.containsKey(cores) ? (double) fq * n / faiss.get(cores)[0] / cores : 0;
                    String equal = theirs == 0
                            ? "n/a"
                            : "distances = faiss: " + sameDistances(spark, neighbours, fq, distances, notes);
                    row(n, q, "Hamming", hamming, theirs, cores, equal);
                    if (reranked != null) {
                        long[][] expected = SyntheticCodeTable.topK(queries, database, q, K, refine, SEED);
                        row(
                                n,
                                q,
                                "Hamming top " + rerank + ", re-ranked",
                                reranked,
                                theirs,
                                cores,
                                "ids = brute force: " + sameIds(spark, refined, expected, notes));
                    }
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

    /** A search job's wall time and the driver's peak live heap during it. */
    private static final class Timed {
        final double seconds;
        final long peakLiveMb;

        Timed(double seconds, long peakLiveMb) {
            this.seconds = seconds;
            this.peakLiveMb = peakLiveMb;
        }
    }

    /** Runs the search job: the table's queries against its database, top {@value #K}, ranked as {@code refine} says. */
    private static Timed search(SparkSession spark, String master, String table, String neighbours, Refinement refine)
            throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=" + master,
                "jobs.search.query-codes=" + table,
                "jobs.search.database-codes=" + table,
                "jobs.search.k=" + K,
                "jobs.overwrite=true",
                "jobs.progress-interval=60s",
                "paths.neighbours=" + neighbours,
                "jobs.rerank.mode=" + (refine.reranks() ? "refine" : "none")));
        if (refine.reranks()) a.add("jobs.rerank.candidates=" + refine.candidates);
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        HeapWatch heap = new HeapWatch();
        long start = System.nanoTime();
        SearchJob.run(spark, s);
        double seconds = (System.nanoTime() - start) / 1e9;
        heap.close();
        return new Timed(seconds, heap.peakLive() >> 20);
    }

    private static void row(long n, int q, String order, Timed t, double faissRate, int cores, String checked) {
        double ours = (double) q * n / t.seconds / cores;
        System.out.printf(
                Locale.ROOT,
                "| %,d | %,d | %s | %.1f | %.3g | %s | %s | %d | %s |%n",
                n,
                q,
                order,
                t.seconds,
                ours,
                faissRate == 0 ? "-" : String.format(Locale.ROOT, "%.3g", faissRate),
                faissRate == 0 ? "-" : String.format(Locale.ROOT, "%.1fx", ours / faissRate),
                t.peakLiveMb,
                checked);
    }

    /** Whether the neighbours table's ids of queries 0..expected.length-1 equal {@code expected}, rank by rank. */
    private static boolean sameIds(SparkSession spark, String neighbours, long[][] expected, List<String> notes) {
        long[][] ours = new long[expected.length][K];
        for (Row r : spark.read()
                .parquet(neighbours)
                .filter("query_id < " + expected.length)
                .select("query_id", "rank", "id")
                .collectAsList()) ours[(int) r.getLong(0)][r.getInt(1) - 1] = r.getLong(2);
        for (int q = 0; q < expected.length; q++)
            if (!Arrays.equals(ours[q], expected[q])) {
                notes.add(neighbours + ": query " + q + " has ids " + Arrays.toString(ours[q]) + ", brute force "
                        + Arrays.toString(expected[q]));
                return false;
            }
        return true;
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
