package io.mlh.bench;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.serve.SearchServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;

/**
 * {@code make bench-serve}: the query service ({@link SearchServer}) under a bounded closed-loop load on
 * 127.0.0.1, code queries of the synthetic code tables {@code make bench-search} uses (64-bit codes,
 * clustered by class), against faiss {@code IndexBinaryFlat} and {@code IndexBinaryMultiHash} answering
 * the same queries one call each in the same run ({@code mlh-bench/python/faiss_serve.py}).
 *
 * <p>For each database size and index ({@code flat}, {@code multi-index}) the service loads the table,
 * answers a warm-up, then for each client count C, C threads send {@code POST /search} (k = 10) back to
 * back until {@code bench.requests} are answered or {@code bench.seconds} have passed. Latency is the
 * client's, HTTP and JSON included; the clients run in this JVM beside the service. Every answer to
 * one of the first {@value #CHECKED} queries is checked against a brute force over the same codes
 * ({@link SyntheticCodeTable#topK}: the exact top 10, ties by ascending id): "wrong" counts those that
 * differ, "lost" requests that got no 200. Each index is measured again with re-ranking ({@code
 * jobs.rerank.mode = refine}, R = {@code bench.rerank}): the queries then send their int8 continuous
 * codes too, and the answers are checked against the brute force of the re-ranked order. "bytes a row"
 * is what the service's {@code /health} reports it holds a row in memory.
 *
 * <p>System properties: bench.sizes, bench.clients (comma-separated), bench.requests, bench.seconds,
 * bench.rerank (R; 0: no re-ranked rows), bench.dir (where bench-search keeps its tables), python, script.
 */
public final class ServeSpeedBench {
    private static final int BITS = 64, K = 10, QUERIES = 10_000, CHECKED = 200;
    private static final long SEED = 11;

    private ServeSpeedBench() {}

    public static void main(String[] args) throws Exception {
        String[] sizes = System.getProperty("bench.sizes", "1000000,10000000").split(",");
        int[] clients = Arrays.stream(
                        System.getProperty("bench.clients", "1,4,16").split(","))
                .mapToInt(c -> Integer.parseInt(c.trim()))
                .toArray();
        int requests = Integer.getInteger("bench.requests", 3000);
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "15"));
        int rerank = Integer.getInteger("bench.rerank", 100);
        List<Refinement> orders = new ArrayList<>(Arrays.asList(Refinement.NONE));
        if (rerank > 0) orders.add(Refinement.top(rerank));
        File dir = new File(System.getProperty("bench.dir", "mlh-bench/target/bench-search")).getAbsoluteFile();
        String python = System.getProperty("python", "/usr/bin/python3"),
                script = System.getProperty("script", "mlh-bench/python/faiss_serve.py");
        Path tmp = Files.createTempDirectory("mlh-serve-bench");
        SparkSession spark =
                Spark.start("serve-bench", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
        System.out.printf(
                Locale.ROOT,
                "%nquery service, top %d of %d-bit codes, closed-loop clients on 127.0.0.1 (at most %d requests or %.0f s"
                        + " a row); faiss one query a call, single-threaded, from as many client threads%n",
                K,
                BITS,
                requests,
                seconds);
        System.out.println(
                "| database | index | order | bytes a row | clients | requests | p50 ms | p99 ms | service p50 / p99 ms"
                        + " | queries/s"
                        + " | faiss flat p50 / p99 ms | faiss flat queries/s | x faiss flat (queries/s)"
                        + " | faiss multi-hash p50 / p99 ms | faiss multi-hash queries/s | answers checked, wrong, lost |");
        System.out.println("|---:|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---|---:|---|");
        List<String> notes = new ArrayList<>();
        try {
            for (String size : sizes) {
                long n = Long.parseLong(size.trim());
                String table = new File(dir, "codes-" + QUERIES + "q-" + n).getPath();
                SyntheticCodeTable.ensure(spark, table, QUERIES, n, BITS, SEED);
                PackedCodes queries = SyntheticCodeTable.codes(QUERIES, n, BITS, SEED, 0, QUERIES);
                PackedCodes database = SyntheticCodeTable.codes(QUERIES, n, BITS, SEED, QUERIES, QUERIES + n);
                Map<Refinement, long[][]> expected = new HashMap<>();
                for (Refinement order : orders)
                    expected.put(
                            order,
                            SyntheticCodeTable.topK(queries.slice(0, CHECKED), database, QUERIES, K, order, SEED));
                Map<String, Map<Integer, double[]>> faiss =
                        faiss(python, script, tmp, database, queries, clients, requests, seconds, notes);
                database = null; // the service loads its own copy
                for (String index : new String[] {"flat", "multi-index"})
                    for (Refinement order : orders) {
                        List<String> a = new ArrayList<>(Arrays.asList(
                                "-",
                                "spark.master=local[2]",
                                "paths.codes=" + table,
                                "paths.model=",
                                "paths.shards=",
                                "jobs.serve.port=0",
                                "jobs.serve.threads=16",
                                "jobs.serve.index=" + index,
                                "jobs.rerank.mode=" + (order.reranks() ? "refine" : "none")));
                        if (order.reranks()) a.add("jobs.rerank.candidates=" + order.candidates);
                        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
                        try (SearchServer server = SearchServer.start(spark, s)) {
                            long bytes = bytesPerRow(server);
                            long[][] want = expected.get(order);
                            load(server, queries, want, order, 1, 200, 30); // warm up
                            for (int c : clients) {
                                ClosedLoop.Result l = load(server, queries, want, order, c, requests, seconds);
                                double[] flat = faiss.get("flat").get(c),
                                        multi = faiss.get("multihash").get(c);
                                System.out.printf(
                                        Locale.ROOT,
                                        "| %,d | %s | %s | %d | %d | %,d | %.3f | %.3f | %.3f / %.3f | %.0f | %s | %s | %s | %s | %s |"
                                                + " %d,"
                                                + " %d, %d |%n",
                                        n,
                                        index,
                                        order.reranks() ? "Hamming top " + order.candidates + ", re-ranked" : "Hamming",
                                        bytes,
                                        c,
                                        l.latencies.length,
                                        l.percentile(0.50),
                                        l.percentile(0.99),
                                        ClosedLoop.percentile(l.served, 0.50),
                                        ClosedLoop.percentile(l.served, 0.99),
                                        l.qps,
                                        flat == null
                                                ? "-"
                                                : String.format(Locale.ROOT, "%.3f / %.3f", flat[0], flat[1]),
                                        flat == null ? "-" : String.format(Locale.ROOT, "%.0f", flat[2]),
                                        flat == null ? "-" : String.format(Locale.ROOT, "%.1fx", l.qps / flat[2]),
                                        multi == null
                                                ? "-"
                                                : String.format(Locale.ROOT, "%.3f / %.3f", multi[0], multi[1]),
                                        multi == null ? "-" : String.format(Locale.ROOT, "%.0f", multi[2]),
                                        l.checked,
                                        l.wrong,
                                        l.lost);
                                if (l.firstWrong != null)
                                    notes.add(n + " " + index + " " + order + ": " + l.firstWrong);
                            }
                        }
                    }
            }
        } finally {
            spark.stop();
            for (File f : tmp.toFile().listFiles()) f.delete();
            tmp.toFile().delete();
        }
        for (String note : notes) System.out.println("- " + note);
    }

    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)"),
            BYTES_PER_ROW = Pattern.compile("\"bytes_per_row\":([0-9.]+)");

    /** The bytes a row the service's {@code /health} reports. */
    private static long bytesPerRow(SearchServer server) throws Exception {
        String health;
        try (java.io.InputStream in = new URL(server.uri() + "health").openStream()) {
            health = ClosedLoop.read(in);
        }
        Matcher m = BYTES_PER_ROW.matcher(health);
        if (!m.find()) throw new IllegalStateException("/health has no bytes_per_row: " + health);
        return Math.round(Double.parseDouble(m.group(1)));
    }

    /** Query i's request: its code, and with re-ranking its int8 continuous code as q numbers (v / 127). */
    private static byte[] request(PackedCodes queries, int q, Refinement order) {
        long[] code = queries.code(q);
        StringBuilder b = new StringBuilder("{\"code\": [").append(code[0]).append(']');
        if (order.reranks()) {
            b.append(", \"continuous\": [");
            byte[] int8 = SyntheticCodeTable.int8(q, code, BITS, SEED);
            for (int k = 0; k < int8.length; k++) b.append(k == 0 ? "" : ",").append(int8[k] / 127f);
            b.append(']');
        }
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ClosedLoop.Result load(
            SearchServer server,
            PackedCodes queries,
            long[][] expected,
            Refinement order,
            int clients,
            int requests,
            double seconds)
            throws Exception {
        return ClosedLoop.run(
                new URL(server.uri() + "search?k=" + K),
                clients,
                requests,
                seconds,
                i -> new ClosedLoop.Request(request(queries, i % queries.size(), order), "application/json"),
                i -> i % queries.size() < CHECKED,
                (i, answer) -> {
                    int q = i % queries.size();
                    long[] got = new long[K];
                    Matcher m = ID.matcher(answer);
                    int found = 0;
                    while (m.find() && found < K) got[found++] = Long.parseLong(m.group(1));
                    return found == K && Arrays.equals(got, expected[q])
                            ? null
                            : "query " + q + ": " + Arrays.toString(got) + ", expected " + Arrays.toString(expected[q]);
                });
    }

    /** faiss's figures by index ("flat", "multihash") and client count: {p50 ms, p99 ms, queries/s}. */
    private static Map<String, Map<Integer, double[]>> faiss(
            String python,
            String script,
            Path tmp,
            PackedCodes database,
            PackedCodes queries,
            int[] clients,
            int requests,
            double seconds,
            List<String> notes)
            throws Exception {
        File db = tmp.resolve("db.u8").toFile(), q = tmp.resolve("queries.u8").toFile();
        FaissFlat.writeBytes(database, db);
        FaissFlat.writeBytes(queries, q);
        StringBuilder counts = new StringBuilder();
        for (int c : clients) counts.append(counts.length() == 0 ? "" : ",").append(c);
        int nhash = Math.max(1, (int) Math.round(BITS / (Math.log(database.size()) / Math.log(2))));
        ProcessBuilder pb = new ProcessBuilder(
                python,
                script,
                db.getPath(),
                q.getPath(),
                String.valueOf(BITS),
                String.valueOf(K),
                String.valueOf(nhash),
                counts.toString(),
                String.valueOf(requests),
                String.valueOf(seconds));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Map<String, Map<Integer, double[]>> out = new HashMap<>();
        out.put("flat", new HashMap<>());
        out.put("multihash", new HashMap<>());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("faiss ")) continue;
                Map<String, String> kv = new HashMap<>();
                for (String part : line.trim().split("\\s+")) {
                    int eq = part.indexOf('=');
                    if (eq > 0) kv.put(part.substring(0, eq), part.substring(eq + 1));
                }
                out.get(kv.get("index")).put(Integer.parseInt(kv.get("clients")), new double[] {
                    Double.parseDouble(kv.get("p50")),
                    Double.parseDouble(kv.get("p99")),
                    Double.parseDouble(kv.get("qps"))
                });
                if (kv.containsKey("nflip") && Integer.parseInt(kv.get("clients")) == clients[0])
                    notes.add("faiss multi-hash at " + database.size() + " codes: " + nhash + " tables, nflip "
                            + kv.get("nflip") + ", top-10 distances equal to the flat index's on 200 queries: "
                            + kv.get("exact"));
            }
        }
        if (p.waitFor() != 0)
            notes.add("the faiss script failed (exit " + p.exitValue() + "); is python3-faiss installed?");
        db.delete();
        q.delete();
        return out;
    }
}
