package io.mlh.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.inference.Precision;
import io.mlh.jobs.serve.SearchServer;
import io.mlh.jobs.serve.ServeSettings;
import java.net.URL;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code make bench-serve}'s image queries: the query service answering uploaded JPEGs end to end
 * (HTTP, decode, framing, the network's forward pass, sign packing, the search, JSON), with the part
 * that is the forward pass, for one network and input size a run.
 *
 * <p>Not timed: the images are sharded, a model bundle of an untrained network is saved (what a query
 * costs does not depend on the weights) and the encode job encodes them all into the code table the
 * service then loads. The queries are the first {@value #QUERIES} images' own JPEG bytes, sent raw
 * ({@code POST /search}, k = 10) by C closed-loop clients in this JVM after a warm-up. Every answer's
 * code is checked against the encode job's code of the same image ("code differs"); "lost" counts
 * requests without a 200. The network pass is the service's own {@code forward_ms} of each answer. With
 * {@code jobs.serve.precision=int8} (and {@code jobs.encode.precision=int8}, for the table's codes to
 * check against) the bundle is calibrated first, as for {@link EncodeSpeedBench}.
 *
 * <p>Arguments as {@link EncodeSpeedBench}'s: label, the image root, a work directory, [key=value ...].
 * System properties: bench.clients (comma-separated, default 1,2), bench.requests, bench.seconds,
 * bench.header (false: no table header, for a second run into the same table).
 */
public final class ImageQuerySpeedBench {
    private static final int QUERIES = 200, K = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageQuerySpeedBench() {}

    public static void main(String[] args) throws Exception {
        String label = args[0];
        int[] clients = Arrays.stream(System.getProperty("bench.clients", "1,2").split(","))
                .mapToInt(c -> Integer.parseInt(c.trim()))
                .toArray();
        int requests = Integer.getInteger("bench.requests", 1000);
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "30"));
        List<String> a = EncodeSpeedBench.arguments(args);
        a.add("jobs.serve.port=0");
        JobSettings s = JobSettings.fromArgs(a.toArray(new String[0]));
        MlhConfig c = s.model;
        SparkSession spark = Spark.start("image-query-speed", s);
        try {
            EncodeSpeedBench.shardAndSaveUntrained(spark, s);
            s = EncodeSpeedBench.calibratedFor(spark, a, ServeSettings.PRECISION);
            EncodeJob.run(spark, s);
            String engine = c.engine().configName()
                    + (s.model.reader().get(ServeSettings.PRECISION) == Precision.INT8 ? " int8" : "");
            Map<Long, String> codes = new HashMap<>();
            for (Row r : spark.read().parquet(s.codesPath).select("id", "code").collectAsList())
                codes.put(r.getLong(0), SearchServer.hex(longs(r.getList(1))));
            List<Row> images = spark.read()
                    .parquet(s.shardsPath)
                    .select("id", "image", "format")
                    .orderBy("id")
                    .limit(QUERIES)
                    .collectAsList();
            System.out.printf(
                    Locale.ROOT,
                    "%nimage queries: %s at %d px on %s, %d-bit codes of %,d images; the first %d images' JPEGs, top %d%n",
                    c.backbone().configName(),
                    c.inputSize(),
                    engine,
                    c.bits(),
                    codes.size(),
                    images.size(),
                    K);
            if (Boolean.parseBoolean(System.getProperty("bench.header", "true"))) {
                System.out.println(
                        "| network | input | engine | clients | requests | p50 ms | p99 ms | queries/s"
                                + " | network pass p50 / p99 ms | network share of the time | answers checked, code differs, lost |");
                System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---|---:|---|");
            }
            try (SearchServer server = SearchServer.start(spark, s)) {
                URL url = new URL(server.uri() + "search?k=" + K);
                load(url, images, codes, 1, Math.min(50, requests), seconds, null); // warm-up
                for (int n : clients) {
                    ConcurrentLinkedQueue<Double> forward = new ConcurrentLinkedQueue<>();
                    ClosedLoop.Result l = load(url, images, codes, n, requests, seconds, forward);
                    double[] f =
                            forward.stream().mapToDouble(Double::doubleValue).toArray();
                    double share =
                            Arrays.stream(f).sum() / Arrays.stream(l.latencies).sum();
                    System.out.printf(
                            Locale.ROOT,
                            "| %s | %d px | %s | %d | %,d | %.1f | %.1f | %.1f | %.1f / %.1f | %.0f%% | %d, %d, %d |%n",
                            label,
                            c.inputSize(),
                            engine,
                            n,
                            l.latencies.length,
                            l.percentile(0.50),
                            l.percentile(0.99),
                            l.qps,
                            ClosedLoop.percentile(f, 0.50),
                            ClosedLoop.percentile(f, 0.99),
                            100 * share,
                            l.checked,
                            l.wrong,
                            l.lost);
                    if (l.firstWrong != null) System.out.println("- " + label + ", " + n + " clients: " + l.firstWrong);
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static ClosedLoop.Result load(
            URL url,
            List<Row> images,
            Map<Long, String> codes,
            int clients,
            int requests,
            double seconds,
            ConcurrentLinkedQueue<Double> forward)
            throws InterruptedException {
        return ClosedLoop.run(
                url,
                clients,
                requests,
                seconds,
                i -> {
                    Row r = images.get(i % images.size());
                    return new ClosedLoop.Request((byte[]) r.get(1), "image/" + r.getString(2));
                },
                i -> true,
                (i, answer) -> {
                    long id = images.get(i % images.size()).getLong(0);
                    try {
                        JsonNode a = JSON.readTree(answer);
                        if (forward != null) forward.add(a.get("forward_ms").asDouble());
                        String code = a.get("code").asText();
                        return code.equals(codes.get(id))
                                ? null
                                : "image " + id + ": code " + code + ", the encode job's " + codes.get(id);
                    } catch (java.io.IOException e) {
                        return "image " + id + ": " + e;
                    }
                });
    }

    private static long[] longs(List<Object> list) {
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = (Long) list.get(i);
        return out;
    }
}
