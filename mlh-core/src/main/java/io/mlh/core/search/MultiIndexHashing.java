package io.mlh.core.search;

import io.mlh.core.codes.PackedCodes;
import java.util.Arrays;
import java.util.Objects;

/**
 * Exact Hamming k-nearest-neighbour search that probes instead of scanning: multi-index hashing
 * (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
 *
 * <p>Each code is cut into m disjoint substrings, and each substring position has a table from
 * substring value to the database positions holding it. By the pigeonhole principle an item at full
 * distance d has some substring within floor(d / m) of the query's. So probing, in every table, the
 * buckets within substring radius r finds every item at distance below m (r + 1); each candidate's
 * full distance is then computed once. Finer still, once tables 0..j have been probed at radius r and
 * the rest at r - 1, every item within m r + j has been found. The search probes table by table, radius
 * by radius, and stops as soon as k candidates lie within that bound (or, for a radius search, the bound
 * covers the radius), which makes the result exact: the same lists as
 * {@link HammingRanker}, ties by ascending database position. Cost grows with the number of buckets
 * probed and their sizes, not with the database: near neighbours (real codes, whose classes cluster)
 * are found after few probes; for uniformly random codes it degrades towards a scan.
 *
 * <p>A table keeps its non-empty buckets' values sorted, with their positions in one array; for
 * short substrings (up to {@link #DIRECT_BITS} bits, at most 8 values a code) an array over every
 * value finds a bucket at once, otherwise a binary search does. The index is immutable and safe to share between threads; each thread
 * searches with its own {@link Searcher}.
 */
public final class MultiIndexHashing {
    /** Substrings up to this many bits get a directly addressed table (2^bits + 1 offsets). */
    static final int DIRECT_BITS = 24;

    private final PackedCodes database;
    private final int m;
    /** Substring j covers bits [start[j], start[j + 1]). */
    private final int[] start;

    private final Table[] tables;
    /** The longest substring's bits: probing that radius visits every bucket. */
    private final int longest;

    private MultiIndexHashing(PackedCodes database, int m) {
        this.database = database;
        this.m = m;
        int bits = database.bits();
        this.start = new int[m + 1];
        for (int j = 0; j <= m; j++) start[j] = (int) ((long) j * bits / m);
        this.tables = new Table[m];
        int most = 0;
        for (int j = 0; j < m; j++) {
            tables[j] = Table.build(database, start[j], start[j + 1] - start[j]);
            most = Math.max(most, start[j + 1] - start[j]);
        }
        this.longest = most;
    }

    /**
     * Indexes {@code database} with {@code substrings} substrings a code, or with {@code substrings = 0}
     * one more than the bits / log2(n) Norouzi et al. recommend (between ceil(bits / 32) and bits / 8):
     * for the top 10 of clustered 64-bit codes that was the fastest at 10^6 and 10^7 codes here.
     */
    public static MultiIndexHashing build(PackedCodes database, int substrings) {
        Objects.requireNonNull(database, "database");
        int bits = database.bits();
        int m = substrings > 0 ? substrings : recommended(bits, database.size());
        if (m > bits) throw new IllegalArgumentException(m + " substrings of a " + bits + "-bit code: at most " + bits);
        if ((bits + m - 1) / m > 32)
            throw new IllegalArgumentException(m + " substrings of a " + bits
                    + "-bit code are longer than 32 bits: use at least " + ((bits + 31) / 32));
        return new MultiIndexHashing(database, m);
    }

    /** round(bits / log2(n)) + 1, kept within [ceil(bits / 32), max(1, bits / 8)]. */
    static int recommended(int bits, int n) {
        double log2 = Math.log(Math.max(2, n)) / Math.log(2);
        int m = (int) Math.round(bits / log2) + 1;
        return Math.max((bits + 31) / 32, Math.min(Math.max(1, bits / 8), m));
    }

    public int substrings() {
        return m;
    }

    /** The index's own bytes (its tables: buckets, positions, codes in bucket order) a database code. */
    public double bytesPerCode() {
        long bytes = 0;
        for (Table t : tables)
            bytes += 8L * t.keys.length
                    + 4L * t.offsets.length
                    + 4L * t.positions.length
                    + (t.codes == null ? 8L * t.low.length : 8L * t.codes.length)
                    + (t.direct == null ? 0 : 4L * t.direct.length);
        return (double) bytes / Math.max(1, database.size());
    }

    public PackedCodes database() {
        return database;
    }

    /** A search state for one thread (its marks of the items seen, its candidate buffer). */
    public Searcher searcher() {
        return new Searcher();
    }

    /** One thread's searches over this index. */
    public final class Searcher {
        private final long[] seen = new long[(database.size() + 63) >>> 6];
        private int[] touched = new int[1024];
        private int touchedCount;
        /** Candidates as (distance << 32 | position), the order of the result. */
        private long[] found = new long[1024];
        /** A bucket's distances to the query, for codes of up to 64 bits. */
        private int[] bucketDistances = new int[1024];

        private int foundCount;
        private final int[] atDistance = new int[database.bits() + 1];
        /** No item beyond this distance can be among the k nearest (the k-th distance found so far). */
        private int bound;
        /** Candidates at distance <= bound, and the k they must keep. */
        private int within, kept;

        private Searcher() {}

        /**
         * The {@code k} nearest items to the query code at {@code query[off, off + words)}, restricted to
         * distance {@code <= maxDistance} when that is {@code >= 0}: their positions and distances in
         * {@code positions} and {@code distances} (at least k long), nearest first, ties by ascending
         * position. Returns how many were written (below k only with a radius, or a database smaller than k).
         */
        public int search(long[] query, int off, int k, int maxDistance, int[] positions, int[] distances) {
            if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
            int bits = database.bits(), words = database.wordsPerCode(), n = database.size();
            int want = Math.min(k, n);
            if (want == 0) return 0;
            int limit = maxDistance < 0 ? bits : Math.min(maxDistance, bits);
            Arrays.fill(atDistance, 0);
            foundCount = 0;
            bound = limit;
            within = 0;
            kept = want;
            int complete = -1; // every item at distance <= complete has been found or is beyond the bound
            try {
                search:
                for (int r = 0; complete < limit; r++) {
                    for (int j = 0; j < m; j++) {
                        probe(j, query, off, r, words);
                        // an item not found yet is beyond r in tables 0..j and beyond r - 1 in the
                        // rest, so its distance is at least m r + j + 1: stop part-way through a radius
                        complete = (int) Math.min(bits, (long) m * r + j);
                        if (complete >= limit || maxDistance < 0 && countWithin(complete) >= want) break search;
                    }
                    if (r >= longest) { // every bucket of every table probed: every item found
                        complete = bits;
                        break;
                    }
                }
                long[] result = selectWithin(Math.min(bound, Math.min(complete, limit)));
                int count = Math.min(want, result.length);
                for (int i = 0; i < count; i++) {
                    distances[i] = (int) (result[i] >>> 32);
                    positions[i] = (int) result[i];
                }
                return count;
            } finally {
                for (int i = 0; i < touchedCount; i++) seen[touched[i] >>> 6] = 0;
                touchedCount = 0;
            }
        }

        private int countWithin(int d) {
            int c = 0;
            for (int i = 0; i <= d && i < atDistance.length; i++) c += atDistance[i];
            return c;
        }

        /** The candidates at distance <= d, in (distance, position) order. */
        private long[] selectWithin(int d) {
            int c = 0;
            for (int i = 0; i < foundCount; i++) if ((int) (found[i] >>> 32) <= d) found[c++] = found[i];
            long[] out = Arrays.copyOf(found, c);
            Arrays.sort(out);
            return out;
        }

        /**
         * Every bucket of table j whose value is at exactly distance r from the query's substring: by
         * enumerating those values, or where they outnumber the table's non-empty buckets (long
         * substrings, large radii), by testing each non-empty bucket's value.
         */
        private void probe(int j, long[] query, int off, int r, int words) {
            int length = start[j + 1] - start[j];
            if (r > length) return;
            long base = substring(query, off, start[j], length);
            Table t = tables[j];
            if (binomial(length, r) > t.keys.length) {
                for (int b = 0; b < t.keys.length; b++)
                    if (Long.bitCount(t.keys[b] ^ base) == r) visit(t, b, query, off, words);
                return;
            }
            // every length-bit mask with r bits set, in increasing order (Gosper's hack; length <= 32)
            for (long mask = (1L << r) - 1, end = 1L << length; mask < end; ) {
                int b = t.bucket(base ^ mask);
                if (b >= 0) visit(t, b, query, off, words);
                if (mask == 0) break;
                long low = mask & -mask, ripple = mask + low;
                mask = ripple | (((mask ^ ripple) >>> 2) / low);
            }
        }

        /**
         * The items of bucket b of t within the bound become candidates, once each. Their distances come
         * from the table's own copy of the codes, read in bucket order, so that the many items beyond the
         * bound cost no random access; the bound then tightens to the k-th distance found so far.
         */
        private void visit(Table t, int b, long[] query, int off, int words) {
            int from = t.offsets[b], to = t.offsets[b + 1];
            if (t.low != null) { // codes of up to 64 bits: the bucket's distances in one vector loop first
                int n = to - from;
                if (bucketDistances.length < n) bucketDistances = new int[Math.max(n, 2 * bucketDistances.length)];
                ColumnScan.distances2(
                        t.low, t.high, from, n, (int) query[off], (int) (query[off] >>> 32), bucketDistances);
                for (int i = 0; i < n; i++)
                    if (bucketDistances[i] <= bound) take(t.positions[from + i], bucketDistances[i]);
                return;
            }
            for (int i = from; i < to; i++) {
                int d = PackedCodes.hamming(query, off, t.codes, i * words, words);
                if (d <= bound) take(t.positions[i], d);
            }
        }

        /** Position p at distance d (within the bound) becomes a candidate unless it is one already; the bound tightens. */
        private void take(int p, int d) {
            long bit = 1L << (p & 63);
            if ((seen[p >>> 6] & bit) != 0) return;
            seen[p >>> 6] |= bit;
            if (touchedCount == touched.length) touched = Arrays.copyOf(touched, 2 * touchedCount);
            touched[touchedCount++] = p;
            if (foundCount == found.length) found = Arrays.copyOf(found, 2 * foundCount);
            found[foundCount++] = ((long) d << 32) | p;
            atDistance[d]++;
            within++;
            // drop whole distances from the top while the k nearest stay within the bound
            while (within - atDistance[bound] >= kept) within -= atDistance[bound--];
        }
    }

    /** C(n, r), saturating at Long.MAX_VALUE. */
    static long binomial(int n, int r) {
        r = Math.min(r, n - r);
        double c = 1;
        for (int i = 1; i <= r; i++) c = c * (n - r + i) / i;
        return c >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.round(c);
    }

    /** Bits [from, from + length) of a code (bit i of a code is bit i % 64 of word i / 64), length <= 32. */
    static long substring(long[] code, int off, int from, int length) {
        int word = from >>> 6, shift = from & 63;
        long v = code[off + word] >>> shift;
        if (shift + length > 64) v |= code[off + word + 1] << (64 - shift);
        return length == 64 ? v : v & ((1L << length) - 1);
    }

    /**
     * One substring position's buckets: the positions grouped by substring value, ascending within a
     * bucket; bucket b has value {@code keys[b]} and holds positions[offsets[b], offsets[b + 1]).
     */
    private static final class Table {
        /** The non-empty buckets' values, ascending. */
        final long[] keys;

        final int[] offsets, positions;
        /**
         * The code of positions[i] at [i * words, (i + 1) * words): bucket order, for sequential reads; for
         * codes of up to 64 bits null, and instead their low and high 32 bits, int columns that
         * {@link ColumnScan#distances2} reads with vector instructions.
         */
        final long[] codes;

        final int[] low, high;
        /**
         * The bucket of every value (-1: empty) for substrings of up to {@link #DIRECT_BITS} bits with no
         * more values than 8 a code; else null (binary search in {@link #keys}).
         */
        final int[] direct;

        private Table(long[] keys, int[] offsets, int[] positions, long[] codes, int[] low, int[] high, int[] direct) {
            this.keys = keys;
            this.offsets = offsets;
            this.positions = positions;
            this.codes = codes;
            this.low = low;
            this.high = high;
            this.direct = direct;
        }

        static Table build(PackedCodes db, int from, int length) {
            int n = db.size(), words = db.wordsPerCode();
            long[] w = db.words();
            // (value, position) pairs sorted: a value of <= 32 bits and a position < 2^31 fit one long
            long[] pairs = new long[n];
            for (int p = 0; p < n; p++) pairs[p] = (substring(w, p * words, from, length) << 31) | p;
            Arrays.sort(pairs);
            int distinct = 0;
            for (int i = 0; i < n; i++) if (i == 0 || (pairs[i] >>> 31) != (pairs[i - 1] >>> 31)) distinct++;
            long[] keys = new long[distinct];
            int[] offsets = new int[distinct + 1], positions = new int[n];
            for (int i = 0, b = -1; i < n; i++) {
                long v = pairs[i] >>> 31;
                if (b < 0 || keys[b] != v) {
                    keys[++b] = v;
                    offsets[b] = i;
                }
                positions[i] = (int) (pairs[i] & Integer.MAX_VALUE);
            }
            offsets[distinct] = n;
            int[] direct = null;
            if (length <= DIRECT_BITS && 1L << length <= 8L * n) {
                direct = new int[1 << length];
                Arrays.fill(direct, -1);
                for (int b = 0; b < distinct; b++) direct[(int) keys[b]] = b;
            }
            if (words == 1) {
                int[] low = new int[n], high = new int[n];
                for (int i = 0; i < n; i++) {
                    low[i] = (int) w[positions[i]];
                    high[i] = (int) (w[positions[i]] >>> 32);
                }
                return new Table(keys, offsets, positions, null, low, high, direct);
            }
            long[] codes = new long[n * words];
            for (int i = 0; i < n; i++) System.arraycopy(w, positions[i] * words, codes, i * words, words);
            return new Table(keys, offsets, positions, codes, null, null, direct);
        }

        /** The bucket of {@code key}, or -1 if it is empty. */
        int bucket(long key) {
            return direct != null ? direct[(int) key] : Math.max(-1, Arrays.binarySearch(keys, key));
        }
    }
}
