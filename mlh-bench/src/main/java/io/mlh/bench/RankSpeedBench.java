package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.RankedLists;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Exact Hamming top-k speed of {@link HammingRanker} against faiss {@code IndexBinaryFlat} on the same
 * random codes, queries, k and thread counts, in one run ({@code make bench-rank}).
 *
 * <p>The figure is pairs (database codes x queries) scanned per second per core: pairs / fastest run's
 * wall time / threads. Each side repeats a search until {@code minSeconds} have passed and keeps its
 * fastest run. On a machine shared with other work, wall time also counts the time the OS gave to others,
 * so the table also gives pairs per second of the process's own CPU time (JVM: all its threads, JIT and
 * GC included; faiss: Python's process time, OpenMP threads included). faiss gets the codes through temp files (python script {@code mlh-bench/python/faiss_rank.py},
 * Debian's python3-faiss) and returns its top-k distances, which must equal ours query by query (faiss
 * breaks ties in its own order, so positions are not compared; the distance lists are).
 *
 * <p>System properties: {@code queries} (1000), {@code bigQueries} (250: the 1e7-code row's queries, to
 * keep the run short), {@code k} (1000), {@code minSeconds} (1), {@code python} (/usr/bin/python3),
 * {@code script} (mlh-bench/python/faiss_rank.py), {@code faiss} (true).
 */
public final class RankSpeedBench {
    private static final int[] THREADS = {1, 2};
    private static final int BIG = 10_000_000; // rows this large use bigQueries queries, to keep the run short

    private final int queries = Integer.getInteger("queries", 1000);
    private final int bigQueries = Integer.getInteger("bigQueries", 250);
    private final int k = Integer.getInteger("k", 1000);
    private final double minSeconds = Double.parseDouble(System.getProperty("minSeconds", "1"));
    private final String python = System.getProperty("python", "/usr/bin/python3");
    private final String script = System.getProperty("script", "mlh-bench/python/faiss_rank.py");
    private final boolean withFaiss = Boolean.parseBoolean(System.getProperty("faiss", "true"));
    private final Path tmp;
    private final List<String> mismatches = new ArrayList<>();

    private RankSpeedBench() throws IOException {
        tmp = Files.createTempDirectory("mlh-rank-bench");
    }

    public static void main(String[] args) throws Exception {
        new RankSpeedBench().run();
    }

    private void run() throws Exception {
        System.out.printf(
                Locale.ROOT,
                "Exact Hamming top-%d, random codes, %d queries (%d for %,d codes, to keep the run short); "
                        + "pairs = database codes x queries; per core = fastest run's wall time x threads; each side repeats "
                        + "runs for >= %.1fs%n",
                k,
                queries,
                bigQueries,
                BIG,
                minSeconds);
        System.out.printf(
                Locale.ROOT,
                "cores: %d; java %s%n%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        System.out.println(
                "| database | bits | queries | threads | mlh kernel | mlh pairs/s/core | faiss pairs/s/core | mlh / faiss "
                        + "| mlh pairs/CPU-s | faiss pairs/CPU-s | mlh / faiss (CPU) | SCALAR / SIMD kernel pairs/CPU-s | top-k distances equal to faiss |");
        System.out.println("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|");
        try {
            // database size at 64 bits, then code width at 1e6
            for (int n : new int[] {100_000, 1_000_000, 10_000_000}) row(n, 64);
            for (int bits : new int[] {16, 32, 128, 256}) row(1_000_000, bits);
        } finally {
            for (File f : tmp.toFile().listFiles()) f.delete();
            tmp.toFile().delete();
        }
        if (!mismatches.isEmpty()) {
            System.out.println("\nMISMATCH with faiss: " + mismatches);
            System.exit(1);
        }
    }

    /** Fastest wall seconds and least process CPU seconds over a side's runs. */
    private static final class Timing {
        double wall = Double.MAX_VALUE, cpu = Double.MAX_VALUE;

        void add(double wallSeconds, double cpuSeconds) {
            wall = Math.min(wall, wallSeconds);
            cpu = Math.min(cpu, cpuSeconds);
        }
    }

    private void row(int n, int bits) throws Exception {
        int nq = n >= BIG ? bigQueries : queries;
        SplittableRandom random = new SplittableRandom(31L * n + bits);
        PackedCodes db = randomCodes(random, n, bits), q = randomCodes(random, nq, bits);
        double pairs = (double) n * nq;

        HammingRanker.Kernel auto = new HammingRanker(1).kernelFor(nq, n); // what the default (AUTO) picks here
        Map<Integer, Timing> ours = new HashMap<>();
        RankedLists lists = null;
        for (int t : THREADS) {
            HammingRanker ranker = new HammingRanker(t, auto);
            lists = ranker.topK(q.slice(0, Math.min(nq, 64)), db, k); // JIT warm-up
            Timing timing = new Timing();
            for (double spent = 0; spent == 0 || spent < minSeconds; ) {
                long start = System.nanoTime(), cpuStart = processCpuNanos();
                lists = ranker.topK(q, db, k);
                double took = (System.nanoTime() - start) / 1e9;
                timing.add(took, (processCpuNanos() - cpuStart) / 1e9);
                spent += took;
            }
            ours.put(t, timing);
        }
        // both kernels on one thread, so machines without vector popcount can read off what they would get
        Map<HammingRanker.Kernel, Timing> kernels = new HashMap<>();
        for (HammingRanker.Kernel kernel :
                new HammingRanker.Kernel[] {HammingRanker.Kernel.SCALAR, HammingRanker.Kernel.SIMD}) {
            if (kernel == auto) {
                kernels.put(kernel, ours.get(1));
                continue;
            }
            HammingRanker ranker = new HammingRanker(1, kernel);
            ranker.topK(q.slice(0, Math.min(nq, 64)), db, k);
            Timing timing = new Timing();
            long cpuStart = processCpuNanos(), start = System.nanoTime();
            ranker.topK(q, db, k);
            timing.add((System.nanoTime() - start) / 1e9, (processCpuNanos() - cpuStart) / 1e9);
            kernels.put(kernel, timing);
        }

        Map<Integer, Timing> faiss = new HashMap<>();
        String agree = "not run";
        if (withFaiss) {
            File dist = tmp.resolve("faiss-distances.i32").toFile();
            faiss = runFaiss(db, q, dist);
            agree = compare(lists, dist, n + " x " + bits + " bits");
        }
        for (int t : THREADS) {
            Timing o = ours.get(t), f = faiss.get(t);
            double oWall = pairs / o.wall / t, oCpu = pairs / o.cpu;
            String both = t != 1
                    ? ""
                    : sci(pairs / kernels.get(HammingRanker.Kernel.SCALAR).cpu) + " / "
                            + sci(pairs / kernels.get(HammingRanker.Kernel.SIMD).cpu);
            System.out.printf(
                    Locale.ROOT,
                    "| %,d | %d | %d | %d | %s | %.2e | %s | %s | %.2e | %s | %s | %s | %s |%n",
                    n,
                    bits,
                    nq,
                    t,
                    auto,
                    oWall,
                    f == null ? "n/a" : sci(pairs / f.wall / t),
                    f == null ? "n/a" : ratio(oWall, pairs / f.wall / t),
                    oCpu,
                    f == null ? "n/a" : sci(pairs / f.cpu),
                    f == null ? "n/a" : ratio(oCpu, pairs / f.cpu),
                    both,
                    agree);
        }
    }

    private static String sci(double x) {
        return String.format(Locale.ROOT, "%.2e", x);
    }

    private static String ratio(double a, double b) {
        return String.format(Locale.ROOT, "%.1fx", a / b);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Runs the faiss script on the same codes; returns its timing per thread count. */
    private Map<Integer, Timing> runFaiss(PackedCodes db, PackedCodes q, File distances) throws Exception {
        Map<Integer, Timing> seconds = new HashMap<>();
        for (Map.Entry<Integer, double[]> e : FaissFlat.search(
                        python, script, tmp, db, q, k, THREADS, minSeconds, distances)
                .entrySet()) {
            Timing timing = new Timing();
            timing.add(e.getValue()[0], e.getValue()[1]);
            seconds.put(e.getKey(), timing);
        }
        return seconds;
    }

    /** Whether faiss's distance list equals ours for every query; records a mismatch otherwise. */
    private String compare(RankedLists ours, File faissDistances, String what) throws IOException {
        if (!faissDistances.exists()) return "n/a";
        int nq = ours.queries(), kk = ours.k(), bad = 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(faissDistances)))) {
            int[] theirs = new int[k];
            for (int q = 0; q < nq; q++) {
                for (int r = 0; r < k; r++) theirs[r] = Integer.reverseBytes(in.readInt()); // little-endian int32
                if (!Arrays.equals(Arrays.copyOf(theirs, kk), ours.distances(q))) bad++;
            }
        }
        faissDistances.delete();
        if (bad > 0) mismatches.add(what + ": " + bad + " queries differ");
        return bad == 0 ? "yes, all " + nq + " queries" : "NO: " + bad + " queries differ";
    }

    private static PackedCodes randomCodes(SplittableRandom random, int n, int bits) {
        int w = PackedCodes.wordsFor(bits);
        long mask = bits % 64 == 0 ? -1L : (1L << (bits % 64)) - 1;
        long[] words = new long[n * w];
        for (int i = 0; i < words.length; i++) words[i] = random.nextLong() & ((i % w) == w - 1 ? mask : -1L);
        return PackedCodes.of(words, n, bits);
    }
}
