package io.mlh.core.search;

/**
 * The inner loop of {@link HammingRanker}: a run of database codes against a tile of four queries.
 *
 * <p>Each database code is loaded once and compared with all four queries (XOR, {@code Long.bitCount},
 * which the JIT turns into POPCNT), and each distance meets its query's bound in one compare. The bounds
 * live in locals and change only when a rare item passes, so the loop body stays branch-predictable.
 * Codes of 1, 2 and 4 words have their own loops with the query words in locals; other widths share a
 * loop over words.
 */
final class TileScan {
    private TileScan() {}

    /**
     * Offers database codes {@code [from, to)} of {@code db} ({@code w} words each) to the four collectors,
     * whose queries' words start at {@code qw[o0]} .. {@code qw[o3]}.
     */
    static void scan(long[] db, int w, int from, int to, long[] qw, int o0, int o1, int o2, int o3,
            TopKCollector c0, TopKCollector c1, TopKCollector c2, TopKCollector c3) {
        switch (w) {
            case 1:
                words1(db, from, to, qw[o0], qw[o1], qw[o2], qw[o3], c0, c1, c2, c3);
                break;
            case 2:
                words2(db, from, to, qw, o0, o1, o2, o3, c0, c1, c2, c3);
                break;
            case 4:
                words4(db, from, to, qw, o0, o1, o2, o3, c0, c1, c2, c3);
                break;
            default:
                wordsN(db, w, from, to, qw, o0, o1, o2, o3, c0, c1, c2, c3);
        }
    }

    private static void words1(long[] db, int from, int to, long q0, long q1, long q2, long q3,
            TopKCollector c0, TopKCollector c1, TopKCollector c2, TopKCollector c3) {
        int b0 = c0.bound(), b1 = c1.bound(), b2 = c2.bound(), b3 = c3.bound();
        for (int i = from; i < to; i++) {
            long x = db[i];
            int d0 = Long.bitCount(x ^ q0), d1 = Long.bitCount(x ^ q1);
            int d2 = Long.bitCount(x ^ q2), d3 = Long.bitCount(x ^ q3);
            if (d0 <= b0) b0 = c0.offer(i, d0);
            if (d1 <= b1) b1 = c1.offer(i, d1);
            if (d2 <= b2) b2 = c2.offer(i, d2);
            if (d3 <= b3) b3 = c3.offer(i, d3);
        }
    }

    private static void words2(long[] db, int from, int to, long[] qw, int o0, int o1, int o2, int o3,
            TopKCollector c0, TopKCollector c1, TopKCollector c2, TopKCollector c3) {
        long q0a = qw[o0], q0b = qw[o0 + 1], q1a = qw[o1], q1b = qw[o1 + 1];
        long q2a = qw[o2], q2b = qw[o2 + 1], q3a = qw[o3], q3b = qw[o3 + 1];
        int b0 = c0.bound(), b1 = c1.bound(), b2 = c2.bound(), b3 = c3.bound();
        for (int i = from; i < to; i++) {
            long x = db[2 * i], y = db[2 * i + 1];
            int d0 = Long.bitCount(x ^ q0a) + Long.bitCount(y ^ q0b);
            int d1 = Long.bitCount(x ^ q1a) + Long.bitCount(y ^ q1b);
            int d2 = Long.bitCount(x ^ q2a) + Long.bitCount(y ^ q2b);
            int d3 = Long.bitCount(x ^ q3a) + Long.bitCount(y ^ q3b);
            if (d0 <= b0) b0 = c0.offer(i, d0);
            if (d1 <= b1) b1 = c1.offer(i, d1);
            if (d2 <= b2) b2 = c2.offer(i, d2);
            if (d3 <= b3) b3 = c3.offer(i, d3);
        }
    }

    private static void words4(long[] db, int from, int to, long[] qw, int o0, int o1, int o2, int o3,
            TopKCollector c0, TopKCollector c1, TopKCollector c2, TopKCollector c3) {
        long q0a = qw[o0], q0b = qw[o0 + 1], q0c = qw[o0 + 2], q0d = qw[o0 + 3];
        long q1a = qw[o1], q1b = qw[o1 + 1], q1c = qw[o1 + 2], q1d = qw[o1 + 3];
        long q2a = qw[o2], q2b = qw[o2 + 1], q2c = qw[o2 + 2], q2d = qw[o2 + 3];
        long q3a = qw[o3], q3b = qw[o3 + 1], q3c = qw[o3 + 2], q3d = qw[o3 + 3];
        int b0 = c0.bound(), b1 = c1.bound(), b2 = c2.bound(), b3 = c3.bound();
        for (int i = from; i < to; i++) {
            int base = 4 * i;
            long x = db[base], y = db[base + 1], z = db[base + 2], u = db[base + 3];
            int d0 = Long.bitCount(x ^ q0a) + Long.bitCount(y ^ q0b) + Long.bitCount(z ^ q0c) + Long.bitCount(u ^ q0d);
            int d1 = Long.bitCount(x ^ q1a) + Long.bitCount(y ^ q1b) + Long.bitCount(z ^ q1c) + Long.bitCount(u ^ q1d);
            int d2 = Long.bitCount(x ^ q2a) + Long.bitCount(y ^ q2b) + Long.bitCount(z ^ q2c) + Long.bitCount(u ^ q2d);
            int d3 = Long.bitCount(x ^ q3a) + Long.bitCount(y ^ q3b) + Long.bitCount(z ^ q3c) + Long.bitCount(u ^ q3d);
            if (d0 <= b0) b0 = c0.offer(i, d0);
            if (d1 <= b1) b1 = c1.offer(i, d1);
            if (d2 <= b2) b2 = c2.offer(i, d2);
            if (d3 <= b3) b3 = c3.offer(i, d3);
        }
    }

    private static void wordsN(long[] db, int w, int from, int to, long[] qw, int o0, int o1, int o2, int o3,
            TopKCollector c0, TopKCollector c1, TopKCollector c2, TopKCollector c3) {
        int b0 = c0.bound(), b1 = c1.bound(), b2 = c2.bound(), b3 = c3.bound();
        for (int i = from; i < to; i++) {
            int base = w * i, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
            for (int j = 0; j < w; j++) {
                long x = db[base + j];
                d0 += Long.bitCount(x ^ qw[o0 + j]);
                d1 += Long.bitCount(x ^ qw[o1 + j]);
                d2 += Long.bitCount(x ^ qw[o2 + j]);
                d3 += Long.bitCount(x ^ qw[o3 + j]);
            }
            if (d0 <= b0) b0 = c0.offer(i, d0);
            if (d1 <= b1) b1 = c1.offer(i, d1);
            if (d2 <= b2) b2 = c2.offer(i, d2);
            if (d3 <= b3) b3 = c3.offer(i, d3);
        }
    }
}
