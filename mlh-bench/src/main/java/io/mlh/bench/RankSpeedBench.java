package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.RankedLists;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
 * fastest run. faiss gets the codes through temp files (python script {@code mlh-bench/python/faiss_rank.py},
 * Debian's python3-faiss) and returns its top-k distances, which must equal ours query by query (faiss
 * breaks ties in its own order, so positions are not compared; the distance lists are).
 *
 * <p>System properties: {@code queries} (1000), {@code k} (1000), {@code minSeconds} (1), {@code python}
 * (/usr/bin/python3), {@code script} (mlh-bench/python/faiss_rank.py), {@code faiss} (true).
 */
public final class RankSpeedBench {
    private static final int[] THREADS = {1, 2};

    private final int queries = Integer.getInteger("queries", 1000);
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
        System.out.printf(Locale.ROOT, "Hamming top-%d, %d queries, random codes; pairs/s per core (fastest of runs >= %.1fs)%n",
                k, queries, minSeconds);
        System.out.printf(Locale.ROOT, "cores: %d; java %s%n%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        System.out.println("| database | bits | threads | mlh pairs/s/core | faiss pairs/s/core | mlh / faiss | top-k distances equal |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---|");
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

    private void row(int n, int bits) throws Exception {
        SplittableRandom random = new SplittableRandom(31L * n + bits);
        PackedCodes db = randomCodes(random, n, bits), q = randomCodes(random, queries, bits);
        double pairs = (double) n * queries;

        Map<Integer, Double> ours = new HashMap<>();
        RankedLists lists = null;
        new HammingRanker(1).topK(q.slice(0, Math.min(queries, 64)), db, k); // JIT warm-up for this width
        for (int t : THREADS) {
            HammingRanker ranker = new HammingRanker(t);
            double best = Double.MAX_VALUE, spent = 0;
            for (int runs = 0; runs == 0 || spent < minSeconds; runs++) {
                long start = System.nanoTime();
                lists = ranker.topK(q, db, k);
                double took = (System.nanoTime() - start) / 1e9;
                best = Math.min(best, took);
                spent += took;
            }
            ours.put(t, pairs / best / t);
        }

        Map<Integer, Double> faiss = new HashMap<>();
        String agree = "not run";
        if (withFaiss) {
            File dist = tmp.resolve("faiss-distances.i32").toFile();
            Map<Integer, Double> seconds = runFaiss(db, q, dist);
            for (Map.Entry<Integer, Double> e : seconds.entrySet()) faiss.put(e.getKey(), pairs / e.getValue() / e.getKey());
            agree = compare(lists, dist, n + " x " + bits + " bits");
        }
        for (int t : THREADS) {
            Double f = faiss.get(t);
            System.out.printf(Locale.ROOT, "| %,d | %d | %d | %.2e | %s | %s | %s |%n", n, bits, t, ours.get(t),
                    f == null ? "n/a" : String.format(Locale.ROOT, "%.2e", f),
                    f == null ? "n/a" : String.format(Locale.ROOT, "%.1fx", ours.get(t) / f), agree);
        }
    }

    /** Runs the faiss script on the same codes; returns its fastest seconds per thread count. */
    private Map<Integer, Double> runFaiss(PackedCodes db, PackedCodes q, File distances) throws Exception {
        File dbFile = tmp.resolve("db.u8").toFile(), queryFile = tmp.resolve("queries.u8").toFile();
        writeBytes(db, dbFile);
        writeBytes(q, queryFile);
        StringBuilder threads = new StringBuilder();
        for (int t : THREADS) threads.append(threads.length() == 0 ? "" : ",").append(t);
        ProcessBuilder pb = new ProcessBuilder(python, script, dbFile.getPath(), queryFile.getPath(),
                String.valueOf(db.bits()), String.valueOf(k), threads.toString(), String.valueOf(minSeconds),
                distances.getPath());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Map<Integer, Double> seconds = new HashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                Map<String, String> kv = new HashMap<>();
                for (String part : line.trim().split("\\s+")) {
                    int eq = part.indexOf('=');
                    if (eq > 0) kv.put(part.substring(0, eq), part.substring(eq + 1));
                }
                if (line.startsWith("faiss ")) seconds.put(Integer.parseInt(kv.get("threads")), Double.parseDouble(kv.get("seconds")));
            }
        }
        if (p.waitFor() != 0) {
            System.out.println("(faiss script failed, exit " + p.exitValue() + "; is python3-faiss installed? make bench-deps)");
            seconds.clear();
        }
        dbFile.delete();
        queryFile.delete();
        return seconds;
    }

    /** Codes as faiss reads them: bits/8 bytes a code, bit j of a code at bit j % 8 of byte j / 8. */
    private static void writeBytes(PackedCodes codes, File file) throws IOException {
        int w = codes.wordsPerCode(), bytes = codes.bits() / 8;
        long[] words = codes.words();
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(file), 1 << 16)) {
            for (int i = 0; i < codes.size(); i++) {
                for (int b = 0; b < bytes; b++) out.write((int) (words[i * w + b / 8] >>> (8 * (b % 8))));
            }
        }
    }

    /** Whether faiss's distance list equals ours for every query; records a mismatch otherwise. */
    private String compare(RankedLists ours, File faissDistances, String what) throws IOException {
        if (!faissDistances.exists()) return "n/a";
        int nq = ours.queries(), kk = ours.k(), bad = 0;
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(new FileInputStream(faissDistances)))) {
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
