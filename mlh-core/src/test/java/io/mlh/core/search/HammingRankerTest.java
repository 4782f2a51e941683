package io.mlh.core.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mlh.core.codes.PackedCodes;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HammingRankerTest {

    /** n random codes of {@code bits} bits, each bit set with probability 1/2. */
    private static PackedCodes random(Random r, int n, int bits) {
        int w = PackedCodes.wordsFor(bits);
        long[] words = new long[n * w];
        long lastMask = bits % 64 == 0 ? -1L : (1L << (bits % 64)) - 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < w; j++) words[i * w + j] = r.nextLong() & (j == w - 1 ? lastMask : -1L);
        }
        return PackedCodes.of(words, n, bits);
    }

    /** n codes drawn from only {@code distinct} random codes: most distances tie. */
    private static PackedCodes fewDistinct(Random r, int n, int bits, int distinct) {
        PackedCodes pool = random(r, distinct, bits);
        int w = pool.wordsPerCode();
        long[] words = new long[n * w];
        for (int i = 0; i < n; i++) System.arraycopy(pool.words(), r.nextInt(distinct) * w, words, i * w, w);
        return PackedCodes.of(words, n, bits);
    }

    private static final HammingRanker.Kernel[] KERNELS = {HammingRanker.Kernel.SCALAR, HammingRanker.Kernel.SIMD};

    /** Both kernels on one thread, each checked against the brute-force ranking. */
    private static void assertBothKernelsMatchBruteForce(PackedCodes queries, PackedCodes database, int k) {
        for (HammingRanker.Kernel kernel : KERNELS) {
            assertMatchesBruteForce(queries, database, k, new HammingRanker(1, kernel).topK(queries, database, k));
        }
    }

    /** The ranking by definition: sort every database position by (distance, position). */
    private static void assertMatchesBruteForce(PackedCodes queries, PackedCodes database, int k, RankedLists got) {
        int expectedK = Math.min(k, database.size());
        assertEquals(queries.size(), got.queries());
        assertEquals(expectedK, got.k());
        for (int q = 0; q < queries.size(); q++) {
            final int query = q;
            int[] d = IntStream.range(0, database.size())
                    .map(i -> queries.hamming(query, database, i))
                    .toArray();
            int[] order = IntStream.range(0, database.size())
                    .boxed()
                    .sorted(Comparator.<Integer>comparingInt(i -> d[i]).thenComparingInt(i -> i))
                    .mapToInt(Integer::intValue)
                    .limit(expectedK)
                    .toArray();
            int[] orderDistances = Arrays.stream(order).map(i -> d[i]).toArray();
            assertArrayEquals(order, got.indices(q), "positions of query " + q);
            assertArrayEquals(orderDistances, got.distances(q), "distances of query " + q);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 16, 24, 63, 64, 65, 128, 130, 192, 256})
    void randomCodesMatchBruteForceAtEveryWidth(int bits) {
        Random r = new Random(bits);
        PackedCodes db = random(r, 3000, bits), q = random(r, 13, bits);
        for (int k : new int[] {1, 10, 1000}) assertBothKernelsMatchBruteForce(q, db, k);
    }

    @ParameterizedTest
    @CsvSource({"8, 3", "16, 2", "64, 5", "128, 4", "256, 7"})
    void heavyTiesGoToTheLowerPosition(int bits, int distinct) {
        Random r = new Random(31 * bits + distinct);
        PackedCodes db = fewDistinct(r, 4000, bits, distinct), q = fewDistinct(r, 9, bits, distinct);
        for (int k : new int[] {1, 7, 500, 3999}) assertBothKernelsMatchBruteForce(q, db, k);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 256})
    void databasesSpanningSeveralCacheChunksMatchBruteForce(int bits) {
        // 70,000 codes: more than one chunk at every width (32,768 one-word codes a chunk)
        Random r = new Random(7 + bits);
        PackedCodes db = random(r, 70_000, bits), q = random(r, 6, bits);
        assertBothKernelsMatchBruteForce(q, db, 1000);
    }

    @Test
    void distancesFallingAlongTheDatabaseMatchBruteForce() {
        // the worst order for the bound: every code is nearer the zero query than all before it, in runs,
        // so the bound drops again and again and the buffer is pruned many times
        int n = 20_000;
        long[] words = new long[n];
        for (int i = 0; i < n; i++) words[i] = -1L >>> (i * 64 / n); // popcount falls from 64 to 1
        PackedCodes db = PackedCodes.of(words, n, 64), q = PackedCodes.of(new long[] {0L, 1L, -1L}, 3, 64);
        for (int k : new int[] {1, 50, 313, 5000}) assertBothKernelsMatchBruteForce(q, db, k);
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 1500})
    void aSampleThatMisleadsTheStartBoundStillRanksExactly(int k) {
        // the start-bound sample takes every 16th code of these 16,000; those are all the zero code, the
        // rest are random. The sample then says distance 0 holds plenty, but the database has only 1,000
        // codes at distance 0 from the zero query: enough for k = 500, too few for k = 1500.
        Random r = new Random(k);
        int n = 16_000;
        PackedCodes noise = random(r, n, 64);
        long[] words = noise.words().clone();
        for (int i = 0; i < n; i += 16) words[i] = 0L;
        PackedCodes db = PackedCodes.of(words, n, 64);
        PackedCodes q = PackedCodes.of(new long[] {0L, r.nextLong(), 0L, 1L, 3L}, 5, 64);
        assertBothKernelsMatchBruteForce(q, db, k);
    }

    @Test
    void kAboveTheDatabaseSizeRanksTheWholeDatabase() {
        Random r = new Random(3);
        PackedCodes db = random(r, 57, 32), q = random(r, 5, 32);
        assertEquals(57, new HammingRanker().topK(q, db, 1000).k());
        assertBothKernelsMatchBruteForce(q, db, 1000);
    }

    @Test
    void emptyAndSingleCodeDatabases() {
        Random r = new Random(4);
        PackedCodes q = random(r, 3, 64);
        RankedLists none = new HammingRanker(2).topK(q, random(r, 0, 64), 10);
        assertEquals(0, none.k());
        assertEquals(3, none.queries());
        assertArrayEquals(new int[0], none.indices(2));

        PackedCodes one = random(r, 1, 64);
        for (HammingRanker.Kernel kernel : KERNELS) {
            RankedLists single = new HammingRanker(2, kernel).topK(q, one, 1000);
            assertEquals(1, single.k());
            for (int i = 0; i < 3; i++) {
                assertEquals(0, single.index(i, 0));
                assertEquals(q.hamming(i, one, 0), single.distance(i, 0));
            }
        }

        assertEquals(0, new HammingRanker().topK(q, one, 0).k());
        assertEquals(0, new HammingRanker().topK(random(r, 0, 64), one, 5).queries());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 33, 100})
    void anyThreadCountGivesTheSingleThreadedResult(int queries) {
        Random r = new Random(queries);
        PackedCodes db = random(r, 5000, 64), q = random(r, queries, 64);
        RankedLists one = new HammingRanker(1, HammingRanker.Kernel.SCALAR).topK(q, db, 100);
        assertMatchesBruteForce(q, db, 100, one);
        for (HammingRanker.Kernel kernel : HammingRanker.Kernel.values()) {
            for (int threads : new int[] {1, 2, 3, 8}) {
                RankedLists many = new HammingRanker(threads, kernel).topK(q, db, 100);
                for (int i = 0; i < queries; i++) {
                    assertArrayEquals(
                            one.indices(i), many.indices(i), kernel + ", " + threads + " threads, query " + i);
                    assertArrayEquals(
                            one.distances(i), many.distances(i), kernel + ", " + threads + " threads, query " + i);
                }
            }
        }
    }

    @Test
    void autoKeepsSmallSearchesOnTheScalarKernel() {
        // the SIMD kernel's transposed copy only pays off on large searches, whatever the CPU
        assertEquals(HammingRanker.Kernel.SCALAR, new HammingRanker(1).kernelFor(8, 1 << 22));
        assertEquals(HammingRanker.Kernel.SCALAR, new HammingRanker(1).kernelFor(1000, 100_000));
        assertEquals(HammingRanker.Kernel.SIMD, new HammingRanker(1, HammingRanker.Kernel.SIMD).kernelFor(1, 1));
    }

    @Test
    void rejectsMismatchedWidthsNegativeKAndNoThreads() {
        Random r = new Random(5);
        assertThrows(
                IllegalArgumentException.class, () -> new HammingRanker().topK(random(r, 2, 64), random(r, 2, 128), 1));
        assertThrows(
                IllegalArgumentException.class, () -> new HammingRanker().topK(random(r, 2, 64), random(r, 2, 64), -1));
        assertThrows(IllegalArgumentException.class, () -> new HammingRanker(0));
        RankedLists lists = new HammingRanker().topK(random(r, 2, 64), random(r, 5, 64), 3);
        assertThrows(IndexOutOfBoundsException.class, () -> lists.index(0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> lists.distance(2, 0));
    }
}
