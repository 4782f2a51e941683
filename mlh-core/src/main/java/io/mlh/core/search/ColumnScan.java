package io.mlh.core.search;

/**
 * The SIMD inner loops of {@link HammingRanker}: a chunk of database codes stored as int columns
 * (column j holds bits 32j..32j+31 of every code in the chunk) against one query at a time, writing a
 * flag per code whose sign says whether any query of the tile is within its bound.
 *
 * <p>These are plain counted loops over equal-length arrays, indexed the same way on every array,
 * with no branches: the shape HotSpot's C2 turns into vector code (on AVX-512 VPOPCNTDQ CPUs,
 * {@code Integer.bitCount} over 16 lanes at once). Where it does not, they run as scalar loops, slower
 * than {@link TileScan}; {@link KernelChoice} picks between the two.
 *
 * <p>Flag: {@code distance - (bound + 1)} is negative exactly when the distance is within the bound, so
 * OR-ing that over the tile's queries leaves a negative flag for any code some query may take.
 */
final class ColumnScan {
    private ColumnScan() {}

    /**
     * Sets {@code flags[i]} (when {@code first}) or ORs into it {@code distance(i) - threshold}, for the
     * query whose int words are {@code a[from..from + cols.length)}.
     */
    static void flag(int[][] cols, int[] a, int from, int threshold, boolean first, int[] flags, int[] scratch) {
        switch (cols.length) {
            case 1:
                flag1(cols[0], a[from], threshold, first, flags);
                break;
            case 2:
                flag2(cols[0], cols[1], a[from], a[from + 1], threshold, first, flags);
                break;
            case 4:
                flag4(
                        cols[0],
                        cols[1],
                        cols[2],
                        cols[3],
                        a[from],
                        a[from + 1],
                        a[from + 2],
                        a[from + 3],
                        threshold,
                        first,
                        flags);
                break;
            default:
                flagN(cols, a, from, threshold, first, flags, scratch);
        }
    }

    /**
     * {@code out[i] = } the distance of the 64-bit code whose halves are {@code low[from + i]} and {@code
     * high[from + i]} to the query's halves {@code a0}, {@code a1}, for i in [0, n): a bucket of {@link
     * MultiIndexHashing}'s table.
     */
    static void distances2(int[] low, int[] high, int from, int n, int a0, int a1, int[] out) {
        for (int i = 0; i < n; i++)
            out[i] = Integer.bitCount(low[from + i] ^ a0) + Integer.bitCount(high[from + i] ^ a1);
    }

    private static void flag1(int[] c0, int a0, int t, boolean first, int[] f) {
        if (first) {
            for (int i = 0; i < f.length; i++) f[i] = Integer.bitCount(c0[i] ^ a0) - t;
        } else {
            for (int i = 0; i < f.length; i++) f[i] |= Integer.bitCount(c0[i] ^ a0) - t;
        }
    }

    private static void flag2(int[] c0, int[] c1, int a0, int a1, int t, boolean first, int[] f) {
        if (first) {
            for (int i = 0; i < f.length; i++) f[i] = Integer.bitCount(c0[i] ^ a0) + Integer.bitCount(c1[i] ^ a1) - t;
        } else {
            for (int i = 0; i < f.length; i++) f[i] |= Integer.bitCount(c0[i] ^ a0) + Integer.bitCount(c1[i] ^ a1) - t;
        }
    }

    private static void flag4(
            int[] c0, int[] c1, int[] c2, int[] c3, int a0, int a1, int a2, int a3, int t, boolean first, int[] f) {
        if (first) {
            for (int i = 0; i < f.length; i++) {
                f[i] = Integer.bitCount(c0[i] ^ a0)
                        + Integer.bitCount(c1[i] ^ a1)
                        + Integer.bitCount(c2[i] ^ a2)
                        + Integer.bitCount(c3[i] ^ a3)
                        - t;
            }
        } else {
            for (int i = 0; i < f.length; i++) {
                f[i] |= Integer.bitCount(c0[i] ^ a0)
                        + Integer.bitCount(c1[i] ^ a1)
                        + Integer.bitCount(c2[i] ^ a2)
                        + Integer.bitCount(c3[i] ^ a3)
                        - t;
            }
        }
    }

    /** Any width: sum the columns two at a time into {@code d}, then flag. */
    private static void flagN(int[][] cols, int[] a, int from, int t, boolean first, int[] f, int[] d) {
        int n = cols.length, j = 0;
        int[] c0 = cols[0];
        int a0 = a[from];
        for (int i = 0; i < d.length; i++) d[i] = Integer.bitCount(c0[i] ^ a0);
        for (j = 1; j + 1 < n; j += 2) {
            int[] x = cols[j], y = cols[j + 1];
            int ax = a[from + j], ay = a[from + j + 1];
            for (int i = 0; i < d.length; i++) d[i] += Integer.bitCount(x[i] ^ ax) + Integer.bitCount(y[i] ^ ay);
        }
        if (j < n) {
            int[] x = cols[j];
            int ax = a[from + j];
            for (int i = 0; i < d.length; i++) d[i] += Integer.bitCount(x[i] ^ ax);
        }
        if (first) {
            for (int i = 0; i < f.length; i++) f[i] = d[i] - t;
        } else {
            for (int i = 0; i < f.length; i++) f[i] |= d[i] - t;
        }
    }
}
