package io.mlh.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bounded closed-loop HTTP load: C client threads POST back to back until a number of requests are
 * answered or a time has passed, each answer timed by the client and handed to a check. The benchmarks
 * of the query service drive it with code and image queries.
 */
final class ClosedLoop {
    private static final Pattern TOOK_MS = Pattern.compile("\"took_ms\"\\s*:\\s*([0-9.eE+-]+)");

    /** Request i's body and content type. */
    interface Requests {
        Request get(int i);
    }

    static final class Request {
        final byte[] body;
        final String type;

        Request(byte[] body, String type) {
            this.body = body;
            this.type = type;
        }
    }

    /** Whether request i's 200 answer is right: null if it is (or is not checked), else what is wrong. */
    interface Check {
        String wrong(int i, String answer);
    }

    /** One run: every answered request's latency (ms), the rate, the answers checked and found wrong, the lost. */
    static final class Result {
        double[] latencies;
        /** Each 200 answer's {@code took_ms} (the service's own time for it, parse to answer), when it has one. */
        double[] served;

        double qps;
        int checked, wrong, lost;
        String firstWrong;

        double percentile(double p) {
            return ClosedLoop.percentile(latencies, p);
        }
    }

    private ClosedLoop() {}

    /** The nearest-rank percentile {@code p} of {@code values} (NaN for none). */
    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0
                ? Double.NaN
                : sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1))];
    }

    /**
     * Runs the load; {@code check} sees each 200 answer ({@code checked} counts those it returns
     * non-null or null for while {@code isChecked(i)}), "lost" counts requests without a 200.
     */
    static Result run(
            URL url,
            int clients,
            int requests,
            double seconds,
            Requests make,
            java.util.function.IntPredicate isChecked,
            Check check)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger(),
                checked = new AtomicInteger(),
                wrong = new AtomicInteger(),
                lost = new AtomicInteger();
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>(), served = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrongs = new ConcurrentLinkedQueue<>();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                for (int i; (i = next.getAndIncrement()) < requests && System.nanoTime() < deadline; ) {
                    Request r = make.get(i);
                    long t0 = System.nanoTime();
                    try {
                        HttpURLConnection http = (HttpURLConnection) url.openConnection();
                        http.setRequestMethod("POST");
                        http.setDoOutput(true);
                        http.setRequestProperty("Content-Type", r.type);
                        try (OutputStream out = http.getOutputStream()) {
                            out.write(r.body);
                        }
                        int status = http.getResponseCode();
                        String answer = read(status == 200 ? http.getInputStream() : http.getErrorStream());
                        latencies.add((System.nanoTime() - t0) / 1e6);
                        if (status != 200) {
                            lost.incrementAndGet();
                            wrongs.add("request " + i + ": " + status + " " + answer);
                            continue;
                        }
                        Matcher took = TOOK_MS.matcher(answer);
                        if (took.find()) served.add(Double.parseDouble(took.group(1)));
                        if (isChecked.test(i)) {
                            checked.incrementAndGet();
                            String why = check.wrong(i, answer);
                            if (why != null) {
                                wrong.incrementAndGet();
                                wrongs.add(why);
                            }
                        }
                    } catch (Exception e) {
                        lost.incrementAndGet();
                        wrongs.add("request " + i + ": " + e);
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) t.join();
        Result l = new Result();
        l.qps = latencies.size() / ((System.nanoTime() - start) / 1e9);
        l.latencies = latencies.stream().mapToDouble(Double::doubleValue).toArray();
        l.served = served.stream().mapToDouble(Double::doubleValue).toArray();
        l.checked = checked.get();
        l.wrong = wrong.get();
        l.lost = lost.get();
        l.firstWrong = wrongs.peek();
        return l;
    }

    static String read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        for (int n; in != null && (n = in.read(b)) > 0; ) out.write(b, 0, n);
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }
}
