package io.mlh.core.search;

import io.mlh.core.codes.PackedCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Exact Hamming top-k search: for each query, the k database codes nearest in Hamming distance, ties by
 * ascending database position (the ranking {@code RetrievalMetrics} uses), by a brute-force scan.
 *
 * <p>Algorithm. Cost is one XOR + POPCNT per 64-bit word and pair, so it is linear in database size and
 * in bits; the work is arranged so that little else happens per pair.
 * <ul>
 *   <li>Bound and skip: each query keeps the distance an item must not exceed to enter its top k so far
 *       ({@link TopKCollector}); after the first few thousand codes nearly every pair is a compare that
 *       fails. The rare passing item goes to a buffer, and the exact top k is selected once, at the end.
 *   <li>Start bound: before the scan, each query is compared with an evenly spaced sample of the database
 *       (up to 8,192 codes), and the bound starts at the distance within which the sample predicts at least
 *       twice k items (plus a margin). That skips the thousands of early offers a bound starting at
 *       {@code bits} would take. It is only a start: if fewer than k items turn out to be within it (for
 *       random codes, a Poisson tail of about 1e-6 per query), that query is ranked again from {@code bits}.
 *   <li>Register tiling: four queries per pass ({@link TileScan}), so each database code is loaded once
 *       for four distances, with loops specialised for 1, 2 and 4 words a code. Passing items are only
 *       noted in the loop and handed to the collectors every 512 codes.
 *   <li>SIMD: the alternative kernel ({@link Kernel#SIMD}, {@link ColumnScan}) stores the database as int
 *       columns and computes a whole chunk's distances for one query in branch-free loops the JIT
 *       vectorises, OR-ing "within bound" sign flags over eight queries; one scalar pass over the flags
 *       then finds the few codes to offer. {@link Kernel#AUTO} picks it where the JIT vectorises popcount.
 *   <li>Cache blocking: a block of up to 32 queries scans the database one cache-sized chunk at a time,
 *       so the chunk is read from memory once per block rather than once per query. Chunks go in
 *       ascending order, as the bound's tie rule requires.
 *   <li>Threads: query blocks are handed out to {@code threads} workers (the caller's thread among them);
 *       each query is ranked by one worker alone, so results do not depend on the thread count.
 * </ul>
 */
public final class HammingRanker {
    static final int TILE = 4;
    private static final int QUERY_BLOCK = 32;
    private static final int CHUNK_WORDS = 1 << 15; // 256 KiB of database codes: stays in L2 for a block
    private static final int SAMPLE = 8192, SAMPLE_FRACTION = 16; // start-bound sample: at most 1/16 of the database
    private static final int BUFFERED_PER_WORKER = 1 << 22; // caps a block's buffers (up to 2k items a query)

    /** The inner loop. All give the same results; which is fastest depends on the CPU, the JIT and the width. */
    public enum Kernel {
        /** 64-bit words, POPCNT, four-query register tiles ({@link TileScan}): fast on any x86-64 JIT. */
        SCALAR,
        /**
         * Int columns in loops the JIT can vectorise ({@link ColumnScan}): 1.1..1.9x SCALAR on large
         * searches where C2 has vector popcount (AVX-512 VPOPCNTDQ), slower where it has not. Costs a
         * transposed copy of the database per search.
         */
        SIMD,
        /**
         * SIMD where the JVM and CPU vectorise popcount and the search is large (at least 16 queries and
         * 2^18 codes), SCALAR otherwise ({@link KernelChoice}). The system property
         * {@code mlh.ranker.kernel} (scalar or simd) overrides it.
         */
        AUTO
    }

    private final int threads;
    private final Kernel kernel;

    /** A ranker that uses {@code threads >= 1} threads per search and the given kernel. */
    public HammingRanker(int threads, Kernel kernel) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.kernel = Objects.requireNonNull(kernel, "kernel");
    }

    /** A ranker that uses {@code threads >= 1} threads per search and the {@link Kernel#AUTO} kernel. */
    public HammingRanker(int threads) {
        this(threads, Kernel.AUTO);
    }

    /** A single-threaded ranker. */
    public HammingRanker() {
        this(1);
    }

    public int threads() {
        return threads;
    }

    public Kernel kernel() {
        return kernel;
    }

    /**
     * The top {@code k} database items of every query. A k above the database size returns the whole
     * database in rank order; k = 0 returns empty lists.
     *
     * @throws IllegalArgumentException if the two code sets differ in bits or k < 0
     */
    public RankedLists topK(PackedCodes queries, PackedCodes database, int k) {
        Objects.requireNonNull(queries, "queries");
        Objects.requireNonNull(database, "database");
        if (queries.bits() != database.bits()) {
            throw new IllegalArgumentException(
                    "query codes have " + queries.bits() + " bits, database codes " + database.bits());
        }
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        int nq = queries.size(), kk = Math.min(k, database.size());
        int[] indices = new int[nq * kk], distances = new int[nq * kk];
        if (kk > 0 && nq > 0)
            new Search(queries, database, kk, threads, kernelFor(nq, database.size()), indices, distances).run(threads);
        return new RankedLists(nq, kk, indices, distances);
    }

    /** The kernel a search of this many queries over this many codes runs: this ranker's, or AUTO's choice. */
    public Kernel kernelFor(int queries, int databaseSize) {
        if (kernel != Kernel.AUTO) return kernel;
        return KernelChoice.choose(queries, databaseSize);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** One topK call: shared read-only inputs, a block counter, and the output arrays. */
    private static final class Search {
        final PackedCodes queries, database;
        final int k, blockSize, blocks;
        final int[] indices, distances;
        final AtomicInteger nextBlock = new AtomicInteger();
        final ColumnDatabase columns; // the SIMD kernel's layout, or null
        final int[] queryColumns;

        Search(
                PackedCodes queries,
                PackedCodes database,
                int k,
                int threads,
                Kernel kernel,
                int[] indices,
                int[] distances) {
            this.columns = kernel == Kernel.SIMD ? new ColumnDatabase(database) : null;
            this.queryColumns = columns == null ? null : columns.queryColumns(queries);
            this.queries = queries;
            this.database = database;
            this.k = k;
            this.indices = indices;
            this.distances = distances;
            // whole tiles; small enough that every thread gets a block and a large k stays within memory
            int perThread = ceilDiv(queries.size(), threads);
            int size = Math.min(QUERY_BLOCK, Math.min(perThread, BUFFERED_PER_WORKER / k / 2));
            this.blockSize = Math.max(TILE, ceilDiv(size, TILE) * TILE);
            this.blocks = ceilDiv(queries.size(), blockSize);
        }

        void run(int threads) {
            int helpers = Math.min(threads, blocks) - 1;
            if (helpers == 0) {
                work();
                return;
            }
            List<Thread> started = new ArrayList<>();
            final Throwable[] failure = new Throwable[1];
            for (int t = 0; t < helpers; t++) {
                Thread th = new Thread(
                        () -> {
                            try {
                                work();
                            } catch (Throwable e) {
                                synchronized (failure) {
                                    if (failure[0] == null) failure[0] = e;
                                }
                            }
                        },
                        "hamming-ranker-" + t);
                th.setDaemon(true);
                th.start();
                started.add(th);
            }
            work();
            try {
                for (Thread th : started) th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while ranking", e);
            }
            synchronized (failure) {
                if (failure[0] != null) throw new IllegalStateException("a ranking thread failed", failure[0]);
            }
        }

        /** Takes query blocks until none are left. */
        private void work() {
            TopKCollector[] collectors = new TopKCollector[blockSize];
            for (int i = 0; i < blockSize; i++) collectors[i] = new TopKCollector(k, database.bits());
            TopKCollector pad = new TopKCollector(1, database.bits());
            pad.disable();
            int[] histogram = new int[database.bits() + 1];
            long[] hits = new long[TILE * TileScan.SPAN];
            int[][] scratch = columns == null ? null : ColumnDatabase.scratch();
            for (int b = nextBlock.getAndIncrement(); b < blocks; b = nextBlock.getAndIncrement()) {
                int from = b * blockSize, to = Math.min(queries.size(), from + blockSize);
                rankBlock(from, to, collectors, pad, histogram, hits, scratch);
            }
        }

        private void rankBlock(
                int from,
                int to,
                TopKCollector[] collectors,
                TopKCollector pad,
                int[] histogram,
                long[] hits,
                int[][] scratch) {
            for (int q = from; q < to; q++) collectors[q - from].reset(startBound(q, histogram));
            scan(from, to, collectors, pad, hits, scratch);
            for (int q = from; q < to; q++) {
                TopKCollector c = collectors[q - from];
                if (!c.complete()) { // the sample misled the start bound: rank this query from scratch
                    c.reset();
                    scan(q, q + 1, new TopKCollector[] {c}, pad, hits, scratch);
                }
                c.finish(indices, distances, q * k);
            }
        }

        private void scan(
                int from, int to, TopKCollector[] collectors, TopKCollector pad, long[] hits, int[][] scratch) {
            if (columns != null) {
                columns.scan(queries, queryColumns, from, to, collectors, scratch);
            } else {
                scanAll(from, to, collectors, pad, hits);
            }
        }

        /** Queries [from, to) against the whole database, four at a time, chunk by chunk in order. */
        private void scanAll(int from, int to, TopKCollector[] collectors, TopKCollector pad, long[] hits) {
            int w = database.wordsPerCode(), n = database.size();
            int chunk = Math.max(TILE, CHUNK_WORDS / Math.max(1, w));
            long[] db = database.words(), qw = queries.words();
            for (int start = 0; start < n; start += chunk) {
                int end = Math.min(n, start + chunk);
                for (int q = from; q < to; q += TILE) {
                    // a short last tile repeats query q's words against the pad, which accepts nothing
                    TopKCollector c0 = collectors[q - from];
                    TopKCollector c1 = q + 1 < to ? collectors[q + 1 - from] : pad;
                    TopKCollector c2 = q + 2 < to ? collectors[q + 2 - from] : pad;
                    TopKCollector c3 = q + 3 < to ? collectors[q + 3 - from] : pad;
                    int o0 = q * w;
                    int o1 = q + 1 < to ? o0 + w : o0,
                            o2 = q + 2 < to ? o0 + 2 * w : o0,
                            o3 = q + 3 < to ? o0 + 3 * w : o0;
                    TileScan.scan(db, w, start, end, qw, o0, o1, o2, o3, c0, c1, c2, c3, hits);
                }
            }
        }

        /**
         * The smallest distance within which an evenly spaced sample of the database holds 2k(s/n) + 8 of
         * its s codes, so that the whole database very likely holds k; {@code bits} when no sample can say.
         */
        private int startBound(int q, int[] histogram) {
            int n = database.size(), bits = database.bits(), w = database.wordsPerCode();
            int s = Math.min(SAMPLE, n / SAMPLE_FRACTION);
            double need = 2.0 * k * s / n + 8;
            if (need > s) return bits;
            long[] db = database.words(), qw = queries.words();
            Arrays.fill(histogram, 0);
            for (int j = 0, stride = n / s; j < s; j++)
                histogram[PackedCodes.hamming(qw, q * w, db, j * stride * w, w)]++;
            int cumulative = 0;
            for (int d = 0; d < bits; d++) {
                cumulative += histogram[d];
                if (cumulative >= need) return d;
            }
            return bits;
        }
    }
}
