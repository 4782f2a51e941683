package io.mlh.core.centres;

import java.util.SplittableRandom;

/**
 * Finds c balanced q-bit words (q/2 ones) with a large minimum pairwise Hamming distance: greedy
 * rejection sampling row by row, then a local search that swaps a (1, 0) pair inside a row of a
 * closest pair when that does not lower the row's distance to the rest and reduces the count of
 * pairs below the target. Two balanced words always differ in an even number of bits, so an odd
 * target is met only at the next even distance.
 */
final class BalancedSearch {
    private BalancedSearch() {}

    static long[][] run(int classes, int bits, int target, SplittableRandom random, int greedyTries, int swapSteps) {
        int words = (bits + 63) / 64;
        long[][] rows = new long[classes][];
        for (int r = 0; r < classes; r++) {
            long[] best = null;
            int bestMin = -1;
            for (int t = 0; t < greedyTries && bestMin < target; t++) {
                long[] candidate = balanced(bits, words, random);
                int m = minTo(candidate, rows, r, -1);
                if (m > bestMin) {
                    bestMin = m;
                    best = candidate;
                }
            }
            rows[r] = best;
        }
        localSearch(rows, bits, target, random, swapSteps);
        return rows;
    }

    private static void localSearch(long[][] rows, int bits, int target, SplittableRandom random, int steps) {
        int n = rows.length;
        for (int step = 0; step < steps; step++) {
            if (step % 1024 == 0 && globalMin(rows) >= target) return;
            int row = random.nextInt(n);
            long[] r = rows[row];
            int violationsBefore = below(r, rows, row, target);
            if (violationsBefore == 0) continue; // only rows of a too-close pair move
            int before = minTo(r, rows, n, row);
            int one = randomBit(r, bits, true, random), zero = randomBit(r, bits, false, random);
            flip(r, one);
            flip(r, zero);
            int after = minTo(r, rows, n, row), violationsAfter = below(r, rows, row, target);
            if (after < before || (after == before && violationsAfter > violationsBefore)) {
                flip(r, one); // undo: the swap made things worse
                flip(r, zero);
            }
        }
    }

    private static int globalMin(long[][] rows) {
        int m = Integer.MAX_VALUE;
        for (int a = 0; a < rows.length; a++) m = Math.min(m, minTo(rows[a], rows, a, -1));
        return m;
    }

    private static long[] balanced(int bits, int words, SplittableRandom random) {
        int[] order = new int[bits];
        for (int i = 0; i < bits; i++) order[i] = i;
        for (int i = bits - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long[] w = new long[words];
        for (int i = 0; i < bits / 2; i++) flip(w, order[i]);
        return w;
    }

    /** Minimum distance from {@code w} to rows[0..count) other than {@code skip}. */
    private static int minTo(long[] w, long[][] rows, int count, int skip) {
        int m = Integer.MAX_VALUE;
        for (int i = 0; i < count; i++) if (i != skip && rows[i] != null) m = Math.min(m, distance(w, rows[i]));
        return m;
    }

    private static int below(long[] w, long[][] rows, int skip, int target) {
        int count = 0;
        for (int i = 0; i < rows.length; i++) if (i != skip && distance(w, rows[i]) < target) count++;
        return count;
    }

    private static int randomBit(long[] w, int bits, boolean set, SplittableRandom random) {
        while (true) {
            int k = random.nextInt(bits);
            if ((((w[k >>> 6] >>> (k & 63)) & 1) != 0) == set) return k;
        }
    }

    private static void flip(long[] w, int k) {
        w[k >>> 6] ^= 1L << (k & 63);
    }

    static int distance(long[] a, long[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) d += Long.bitCount(a[i] ^ b[i]);
        return d;
    }
}
