package io.mlh.jobs.serve;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Request latencies in buckets 2% wide from 1 us to about 100 s, recorded without locks by every
 * request thread; percentiles are read from the counts (to within a bucket's width).
 */
final class LatencyHistogram {
    private static final double GROWTH = 1.02;
    private static final int BUCKETS = (int) Math.ceil(Math.log(1e8) / Math.log(GROWTH)) + 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    void record(long nanos) {
        double micros = Math.max(1, nanos / 1e3);
        counts.incrementAndGet(Math.min(BUCKETS - 1, (int) (Math.log(micros) / Math.log(GROWTH))));
    }

    long count() {
        long n = 0;
        for (int b = 0; b < BUCKETS; b++) n += counts.get(b);
        return n;
    }

    /** The latency below which a fraction {@code q} of the requests fell, in milliseconds (0 with none). */
    double percentileMillis(double q) {
        long[] c = new long[BUCKETS];
        long n = 0;
        for (int b = 0; b < BUCKETS; b++) n += c[b] = counts.get(b);
        if (n == 0) return 0;
        long rank = (long) Math.ceil(q * n), seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += c[b];
            if (seen >= Math.max(1, rank)) return Math.pow(GROWTH, b + 1) / 1e3; // the bucket's upper edge
        }
        return Math.pow(GROWTH, BUCKETS) / 1e3;
    }
}
