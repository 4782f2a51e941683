package io.mlh.core.search;

/**
 * The inner loop of {@link HammingRanker}: a run of database codes against a tile of four queries.
 *
 * <p>Each database code is loaded once and compared with all four queries (XOR, {@code Long.bitCount},
 * which the JIT turns into POPCNT), and each distance meets its query's bound in one compare. A rare pass
 * is only noted in a hit buffer; hits go to the collectors after every {@link #SPAN} codes, which then
 * tighten the bounds. That keeps the collectors' code out of the loop: otherwise C2 inlines it there
 * four times (seen with -XX:+PrintInlining). On the busy 2-core machine this was measured on, the speed
 * did not change measurably either way; the smaller loop is kept as the safer shape.
 * Codes of 1, 2 and 4 words have their own loops with the query words in locals; other widths share a
 * loop over words.
 */
final class TileScan {
    private TileScan() {}

    /** Codes per kernel call: the kernel records at most four hits a code in a buffer of this many x 4. */
    static final int SPAN = 512;

    /**
     * Offers database codes {@code [from, to)} of {@code db} ({@code w} words each) to the four collectors,
     * whose queries' words start at {@code qw[o0]} .. {@code qw[o3]}. {@code hits} holds 4 x {@link #SPAN}.
     */
    static void scan(
            long[] db,
            int w,
            int from,
            int to,
            long[] qw,
            int o0,
            int o1,
            int o2,
            int o3,
            TopKCollector c0,
            TopKCollector c1,
            TopKCollector c2,
            TopKCollector c3,
            long[] hits) {
        for (int start = from; start < to; start += SPAN) {
            int end = Math.min(to, start + SPAN), b0 = c0.bound(), b1 = c1.bound(), b2 = c2.bound(), b3 = c3.bound();
            int nh;
            switch (w) {
                case 1:
                    nh = words1(db, start, end, qw[o0], qw[o1], qw[o2], qw[o3], b0, b1, b2, b3, hits);
                    break;
                case 2:
                    nh = words2(db, start, end, qw, o0, o1, o2, o3, b0, b1, b2, b3, hits);
                    break;
                case 4:
                    nh = words4(db, start, end, qw, o0, o1, o2, o3, b0, b1, b2, b3, hits);
                    break;
                default:
                    nh = wordsN(db, w, start, end, qw, o0, o1, o2, o3, b0, b1, b2, b3, hits);
            }
            // in position order; a hit may be out by now, as an earlier one lowered its query's bound
            for (int h = 0; h < nh; h++) {
                long e = hits[h];
                int slot = (int) e & 3, d = (int) e >>> 2, i = (int) (e >>> 32);
                TopKCollector c = slot == 0 ? c0 : slot == 1 ? c1 : slot == 2 ? c2 : c3;
                if (d <= c.bound()) c.offer(i, d);
            }
        }
    }

    /** A hit packed in a long: database position, distance, and which of the tile's queries. */
    private static long hit(int i, int d, int slot) {
        return ((long) i << 32) | (d << 2) | slot;
    }

    private static int words1(
            long[] db,
            int from,
            int to,
            long q0,
            long q1,
            long q2,
            long q3,
            int b0,
            int b1,
            int b2,
            int b3,
            long[] hits) {
        int nh = 0;
        for (int i = from; i < to; i++) {
            long x = db[i];
            int d0 = Long.bitCount(x ^ q0), d1 = Long.bitCount(x ^ q1);
            int d2 = Long.bitCount(x ^ q2), d3 = Long.bitCount(x ^ q3);
            if (d0 <= b0) hits[nh++] = hit(i, d0, 0);
            if (d1 <= b1) hits[nh++] = hit(i, d1, 1);
            if (d2 <= b2) hits[nh++] = hit(i, d2, 2);
            if (d3 <= b3) hits[nh++] = hit(i, d3, 3);
        }
        return nh;
    }

    private static int words2(
            long[] db,
            int from,
            int to,
            long[] qw,
            int o0,
            int o1,
            int o2,
            int o3,
            int b0,
            int b1,
            int b2,
            int b3,
            long[] hits) {
        long q0a = qw[o0], q0b = qw[o0 + 1], q1a = qw[o1], q1b = qw[o1 + 1];
        long q2a = qw[o2], q2b = qw[o2 + 1], q3a = qw[o3], q3b = qw[o3 + 1];
        int nh = 0;
        for (int i = from; i < to; i++) {
            long x = db[2 * i], y = db[2 * i + 1];
            int d0 = Long.bitCount(x ^ q0a) + Long.bitCount(y ^ q0b);
            int d1 = Long.bitCount(x ^ q1a) + Long.bitCount(y ^ q1b);
            int d2 = Long.bitCount(x ^ q2a) + Long.bitCount(y ^ q2b);
            int d3 = Long.bitCount(x ^ q3a) + Long.bitCount(y ^ q3b);
            if (d0 <= b0) hits[nh++] = hit(i, d0, 0);
            if (d1 <= b1) hits[nh++] = hit(i, d1, 1);
            if (d2 <= b2) hits[nh++] = hit(i, d2, 2);
            if (d3 <= b3) hits[nh++] = hit(i, d3, 3);
        }
        return nh;
    }

    private static int words4(
            long[] db,
            int from,
            int to,
            long[] qw,
            int o0,
            int o1,
            int o2,
            int o3,
            int b0,
            int b1,
            int b2,
            int b3,
            long[] hits) {
        long q0a = qw[o0], q0b = qw[o0 + 1], q0c = qw[o0 + 2], q0d = qw[o0 + 3];
        long q1a = qw[o1], q1b = qw[o1 + 1], q1c = qw[o1 + 2], q1d = qw[o1 + 3];
        long q2a = qw[o2], q2b = qw[o2 + 1], q2c = qw[o2 + 2], q2d = qw[o2 + 3];
        long q3a = qw[o3], q3b = qw[o3 + 1], q3c = qw[o3 + 2], q3d = qw[o3 + 3];
        int nh = 0;
        for (int i = from; i < to; i++) {
            int base = 4 * i;
            long x = db[base], y = db[base + 1], z = db[base + 2], u = db[base + 3];
            int d0 = Long.bitCount(x ^ q0a) + Long.bitCount(y ^ q0b) + Long.bitCount(z ^ q0c) + Long.bitCount(u ^ q0d);
            int d1 = Long.bitCount(x ^ q1a) + Long.bitCount(y ^ q1b) + Long.bitCount(z ^ q1c) + Long.bitCount(u ^ q1d);
            int d2 = Long.bitCount(x ^ q2a) + Long.bitCount(y ^ q2b) + Long.bitCount(z ^ q2c) + Long.bitCount(u ^ q2d);
            int d3 = Long.bitCount(x ^ q3a) + Long.bitCount(y ^ q3b) + Long.bitCount(z ^ q3c) + Long.bitCount(u ^ q3d);
            if (d0 <= b0) hits[nh++] = hit(i, d0, 0);
            if (d1 <= b1) hits[nh++] = hit(i, d1, 1);
            if (d2 <= b2) hits[nh++] = hit(i, d2, 2);
            if (d3 <= b3) hits[nh++] = hit(i, d3, 3);
        }
        return nh;
    }

    private static int wordsN(
            long[] db,
            int w,
            int from,
            int to,
            long[] qw,
            int o0,
            int o1,
            int o2,
            int o3,
            int b0,
            int b1,
            int b2,
            int b3,
            long[] hits) {
        int nh = 0;
        for (int i = from; i < to; i++) {
            int base = w * i, d0 = 0, d1 = 0, d2 = 0, d3 = 0;
            for (int j = 0; j < w; j++) {
                long x = db[base + j];
                d0 += Long.bitCount(x ^ qw[o0 + j]);
                d1 += Long.bitCount(x ^ qw[o1 + j]);
                d2 += Long.bitCount(x ^ qw[o2 + j]);
                d3 += Long.bitCount(x ^ qw[o3 + j]);
            }
            if (d0 <= b0) hits[nh++] = hit(i, d0, 0);
            if (d1 <= b1) hits[nh++] = hit(i, d1, 1);
            if (d2 <= b2) hits[nh++] = hit(i, d2, 2);
            if (d3 <= b3) hits[nh++] = hit(i, d3, 3);
        }
        return nh;
    }
}
