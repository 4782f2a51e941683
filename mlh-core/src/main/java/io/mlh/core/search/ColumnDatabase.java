package io.mlh.core.search;

import io.mlh.core.codes.PackedCodes;

/**
 * The database in the layout of the SIMD kernel: chunks of {@link #CHUNK} codes, each chunk a set of int
 * columns (column j: bits 32j..32j+31 of every code), so that {@link ColumnScan}'s loops read each column
 * with unit stride. The last chunk is padded with zero codes, which the scan never offers.
 */
final class ColumnDatabase {
    static final int CHUNK = 2048; // 8 KiB a column: a chunk's columns and flags stay in L1/L2
    static final int TILE = 8; // queries flagged together before one pass over the flags

    private final PackedCodes codes;
    private final int columns;
    private final int[][][] chunks; // [chunk][column][code in chunk]

    ColumnDatabase(PackedCodes codes) {
        this.codes = codes;
        this.columns = Math.max(1, (codes.bits() + 31) / 32);
        int n = codes.size(), w = codes.wordsPerCode();
        long[] words = codes.words();
        chunks = new int[(n + CHUNK - 1) / CHUNK][columns][CHUNK];
        for (int i = 0; i < n; i++) {
            int[][] chunk = chunks[i / CHUNK];
            for (int j = 0; j < columns && j / 2 < w; j++)
                chunk[j][i % CHUNK] = (int) (words[i * w + j / 2] >>> (32 * (j % 2)));
        }
    }

    /** Each query's int words, {@code columns} a query, as {@link ColumnScan} reads them. */
    int[] queryColumns(PackedCodes queries) {
        int w = queries.wordsPerCode();
        long[] words = queries.words();
        int[] a = new int[queries.size() * columns];
        for (int q = 0; q < queries.size(); q++) {
            for (int j = 0; j < columns && j / 2 < w; j++)
                a[q * columns + j] = (int) (words[q * w + j / 2] >>> (32 * (j % 2)));
        }
        return a;
    }

    /** Scratch for {@link #scan}: flags and a distance buffer. */
    static int[][] scratch() {
        return new int[][] {new int[CHUNK], new int[CHUNK]};
    }

    /**
     * Offers the whole database, chunk by chunk in order, to the collectors of queries {@code [from, to)}
     * ({@code collectors[q - from]}), eight queries to a pass over each chunk's flags.
     */
    void scan(PackedCodes queries, int[] queryColumns, int from, int to, TopKCollector[] collectors, int[][] scratch) {
        int[] flags = scratch[0], distances = scratch[1];
        int n = codes.size(), w = codes.wordsPerCode();
        long[] qw = queries.words(), db = codes.words();
        for (int c = 0; c < chunks.length; c++) {
            int base = c * CHUNK, valid = Math.min(CHUNK, n - base);
            for (int t = from; t < to; t += TILE) {
                int end = Math.min(to, t + TILE);
                for (int q = t; q < end; q++) {
                    int threshold = collectors[q - from].bound() + 1;
                    ColumnScan.flag(chunks[c], queryColumns, q * columns, threshold, q == t, flags, distances);
                }
                for (int i = 0; i < valid; i++) {
                    if (flags[i] >= 0) continue;
                    // some query of the tile may take code base + i: offer it to those whose bound it meets
                    int at = base + i;
                    for (int q = t; q < end; q++) {
                        TopKCollector col = collectors[q - from];
                        int d = PackedCodes.hamming(qw, q * w, db, at * w, w);
                        if (d <= col.bound()) col.offer(at, d);
                    }
                }
            }
        }
    }
}
