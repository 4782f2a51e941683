package io.mlh.core.centres;

import java.util.SplittableRandom;

/**
 * Finds c balanced q-bit words (exactly q/2 ones) whose minimum pairwise Hamming distance reaches an
 * (even) goal; two balanced words always differ in an even number of bits.
 *
 * <p>Greedy rejection sampling places rows one by one; then a breakout local search removes the
 * remaining close pairs. Each step takes a row that is too close to another, tries a few random
 * swaps of a 1 and a 0 inside it (the row stays balanced) and keeps the one that most lowers the
 * weighted shortfall sum w_ij * max(0, goal - d_ij); when no swap helps, the weights of the pairs
 * still too close go up, which reshapes the landscape out of the local minimum. (For 80 rows of
 * 16 bits at distance 6, greedy sampling alone packs ~64 rows and plain shortfall descent gets there
 * for one seed in four; with the weights every seed tried succeeds.)
 *
 * <p>All randomness comes from the caller's generator, so the result is a function of its state
 * and the arguments. The work is bounded by steps x samples x classes distance updates.
 */
final class BalancedSearch {
    /** The best rows seen (bit k of a row = 1 means +1) and their minimum pairwise distance. */
    static final class Result {
        final long[][] rows;
        final int minDistance;

        Result(long[][] rows, int minDistance) {
            this.rows = rows;
            this.minDistance = minDistance;
        }
    }

    private final int n, bits, goal;
    private final long[][] rows;
    private final int[][] d, weight;
    private final int[] close; // per row: how many rows are nearer than the goal
    private final int[] histogram; // pair count per distance, for the running minimum
    private long[][] bestRows;
    private int bestMin;

    private BalancedSearch(long[][] rows, int bits, int goal) {
        this.n = rows.length;
        this.bits = bits;
        this.goal = goal;
        this.rows = rows;
        this.d = new int[n][n];
        this.weight = new int[n][n];
        this.close = new int[n];
        this.histogram = new int[bits + 1];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int dij = distance(rows[i], rows[j]);
                d[i][j] = d[j][i] = dij;
                weight[i][j] = weight[j][i] = 1;
                histogram[dij]++;
                if (dij < goal) {
                    close[i]++;
                    close[j]++;
                }
            }
        }
        remember();
    }

    /**
     * @param greedyTries candidates drawn per row before settling for the farthest one
     * @param steps       local-search steps at most
     * @param samples     swaps tried per step
     */
    static Result run(
            int classes, int bits, int goal, SplittableRandom random, int greedyTries, int steps, int samples) {
        BalancedSearch s = new BalancedSearch(greedy(classes, bits, goal, random, greedyTries), bits, goal);
        s.search(random, steps, samples);
        return new Result(s.bestRows, s.bestMin);
    }

    private static long[][] greedy(int classes, int bits, int goal, SplittableRandom random, int tries) {
        long[][] rows = new long[classes][];
        int[] order = new int[bits];
        for (int i = 0; i < bits; i++) order[i] = i;
        for (int r = 0; r < classes; r++) {
            int bestMin = -1;
            for (int t = 0; t < tries && bestMin < goal; t++) {
                long[] candidate = balanced(order, random);
                int m = bits + 1;
                for (int i = 0; i < r && m > bestMin; i++) m = Math.min(m, distance(candidate, rows[i]));
                if (m > bestMin) {
                    bestMin = m;
                    rows[r] = candidate;
                }
            }
        }
        return rows;
    }

    private void search(SplittableRandom random, int steps, int samples) {
        int[] tooClose = new int[n];
        for (int step = 0; step < steps && bestMin < goal; step++) {
            int count = 0;
            for (int i = 0; i < n; i++) if (close[i] > 0) tooClose[count++] = i;
            int i = tooClose[random.nextInt(count)];
            int bestOne = -1, bestZero = -1, ties = 0;
            long bestChange = Long.MAX_VALUE;
            for (int t = 0; t < samples; t++) {
                int one = randomBit(rows[i], true, random), zero = randomBit(rows[i], false, random);
                long change = change(i, one, zero);
                if (change < bestChange) {
                    ties = 1;
                } else if (change > bestChange || random.nextInt(++ties) != 0) {
                    continue; // worse, or an equal swap that loses the fair draw among the ties
                }
                bestChange = change;
                bestOne = one;
                bestZero = zero;
            }
            if (bestChange > 0) {
                breakout(tooClose, count);
            } else { // sideways moves (change 0) are kept: they let the search cross plateaus
                flip(rows[i], bestOne);
                flip(rows[i], bestZero);
                update(i);
            }
        }
    }

    /** Weighted shortfall change if row i swaps its 1 at {@code one} with its 0 at {@code zero}. */
    private long change(int i, int one, int zero) {
        long change = 0;
        for (int k = 0; k < n; k++) {
            if (k == i) continue;
            // row i turns one 1 -> 0 and zero 0 -> 1: each moves it towards or away from row k by a bit
            int nd = d[i][k] + (bit(rows[k], one) ? 1 : -1) + (bit(rows[k], zero) ? -1 : 1);
            change += (long) weight[i][k] * (Math.max(0, goal - nd) - Math.max(0, goal - d[i][k]));
        }
        return change;
    }

    /** A local minimum: make every pair that is still too close count more. */
    private void breakout(int[] tooClose, int count) {
        for (int a = 0; a < count; a++) {
            int i = tooClose[a];
            for (int k = 0; k < n; k++) if (k != i && d[i][k] < goal) weight[i][k]++;
        }
    }

    private void update(int i) {
        for (int k = 0; k < n; k++) {
            if (k == i) continue;
            int old = d[i][k], now = distance(rows[i], rows[k]);
            if ((old < goal) != (now < goal)) {
                int delta = now < goal ? 1 : -1;
                close[i] += delta;
                close[k] += delta;
            }
            histogram[old]--;
            histogram[now]++;
            d[i][k] = d[k][i] = now;
        }
        int min = 0;
        while (histogram[min] == 0) min++;
        if (min > bestMin) remember();
    }

    private void remember() {
        int min = 0;
        while (min < bits && histogram[min] == 0) min++;
        bestMin = min;
        bestRows = new long[n][];
        for (int r = 0; r < n; r++) bestRows[r] = rows[r].clone();
    }

    private int randomBit(long[] w, boolean value, SplittableRandom random) {
        while (true) {
            int k = random.nextInt(bits);
            if (bit(w, k) == value) return k;
        }
    }

    private static long[] balanced(int[] order, SplittableRandom random) {
        int bits = order.length;
        for (int i = bits - 1; i > 0; i--) { // Fisher-Yates: the first q/2 positions become ones
            int j = random.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long[] w = new long[(bits + 63) / 64];
        for (int i = 0; i < bits / 2; i++) flip(w, order[i]);
        return w;
    }

    private static boolean bit(long[] w, int k) {
        return ((w[k >>> 6] >>> (k & 63)) & 1) != 0;
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
