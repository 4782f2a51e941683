package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The faiss reference of the ranking benchmarks: exact Hamming top-k with faiss {@code IndexBinaryFlat}
 * (python script {@code mlh-bench/python/faiss_rank.py}, Debian's python3-faiss) on codes handed over
 * in temp files, timed by the script for each thread count; it writes its top-k distances for the caller
 * to compare with its own.
 */
final class FaissFlat {
    private FaissFlat() {}

    /**
     * Ranks {@code queries} against {@code database} with each thread count; returns per thread count
     * {wall seconds, process CPU seconds} of the fastest run, empty if the script failed (said on stdout).
     * The last run's distances (int32, queries x k) go to {@code distances}.
     */
    static Map<Integer, double[]> search(
            String python,
            String script,
            Path tmp,
            PackedCodes database,
            PackedCodes queries,
            int k,
            int[] threads,
            double minSeconds,
            File distances)
            throws Exception {
        File dbFile = tmp.resolve("db.u8").toFile(),
                queryFile = tmp.resolve("queries.u8").toFile();
        writeBytes(database, dbFile);
        writeBytes(queries, queryFile);
        StringBuilder counts = new StringBuilder();
        for (int t : threads) counts.append(counts.length() == 0 ? "" : ",").append(t);
        ProcessBuilder pb = new ProcessBuilder(
                python,
                script,
                dbFile.getPath(),
                queryFile.getPath(),
                String.valueOf(database.bits()),
                String.valueOf(k),
                counts.toString(),
                String.valueOf(minSeconds),
                distances.getPath());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Map<Integer, double[]> seconds = new HashMap<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                Map<String, String> kv = new HashMap<>();
                for (String part : line.trim().split("\\s+")) {
                    int eq = part.indexOf('=');
                    if (eq > 0) kv.put(part.substring(0, eq), part.substring(eq + 1));
                }
                if (line.startsWith("faiss ")) {
                    seconds.put(
                            Integer.parseInt(kv.get("threads")),
                            new double[] {Double.parseDouble(kv.get("seconds")), Double.parseDouble(kv.get("cpu"))});
                }
            }
        }
        if (p.waitFor() != 0) {
            System.out.println(
                    "(faiss script failed, exit " + p.exitValue() + "; is python3-faiss installed? make bench-deps)");
            seconds.clear();
        }
        dbFile.delete();
        queryFile.delete();
        return seconds;
    }

    /** Codes as faiss reads them: bits/8 bytes a code, bit j of a code at bit j % 8 of byte j / 8. */
    static void writeBytes(PackedCodes codes, File file) throws IOException {
        int w = codes.wordsPerCode(), bytes = codes.bits() / 8;
        long[] words = codes.words();
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(file), 1 << 16)) {
            for (int i = 0; i < codes.size(); i++) {
                for (int b = 0; b < bytes; b++) out.write((int) (words[i * w + b / 8] >>> (8 * (b % 8))));
            }
        }
    }
}
