package io.mlh.core.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.codes.PackedCodes;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MultiIndexHashingTest {

    /**
     * n codes around {@code classes} random centres, each bit flipped with probability {@code flip}:
     * clustered like trained codes (flip small) or uniform (flip = 0.5).
     */
    private static PackedCodes clustered(Random r, int n, int bits, int classes, double flip) {
        int w = PackedCodes.wordsFor(bits);
        long[][] centres = new long[classes][w];
        for (long[] c : centres) for (int j = 0; j < w; j++) c[j] = r.nextLong();
        long[] words = new long[n * w];
        for (int i = 0; i < n; i++) {
            long[] c = centres[r.nextInt(classes)];
            for (int b = 0; b < bits; b++) {
                long bit = (c[b >>> 6] >>> (b & 63)) & 1;
                if (r.nextDouble() < flip) bit ^= 1;
                words[i * w + (b >>> 6)] |= bit << (b & 63);
            }
        }
        return PackedCodes.of(words, n, bits);
    }

    /** The definition: every position sorted by (distance, position), cut at k and at the radius. */
    private static int[][] bruteForce(PackedCodes db, long[] q, int k, int radius) {
        int w = db.wordsPerCode();
        int[] d = IntStream.range(0, db.size())
                .map(i -> PackedCodes.hamming(q, 0, db.words(), i * w, w))
                .toArray();
        int[] order = IntStream.range(0, db.size())
                .boxed()
                .filter(i -> radius < 0 || d[i] <= radius)
                .sorted(Comparator.<Integer>comparingInt(i -> d[i]).thenComparingInt(i -> i))
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
        return new int[][] {order, Arrays.stream(order).map(i -> d[i]).toArray()};
    }

    private static void assertExact(MultiIndexHashing index, PackedCodes queries, int k, int radius) {
        MultiIndexHashing.Searcher s = index.searcher();
        int[] positions = new int[k], distances = new int[k];
        for (int q = 0; q < queries.size(); q++) {
            long[] code = queries.code(q);
            int n = s.search(code, 0, k, radius, positions, distances);
            int[][] want = bruteForce(index.database(), code, k, radius);
            String what = "query " + q + ", k " + k + ", radius " + radius + ", m " + index.substrings();
            assertArrayEquals(want[0], Arrays.copyOf(positions, n), what);
            assertArrayEquals(want[1], Arrays.copyOf(distances, n), what);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "64, 0, 0.08", // clustered, the recommended substrings
        "64, 4, 0.5", // uniform codes: the radius grows far
        "32, 2, 0.1",
        "48, 5, 0.1", // substrings of unequal length (9 and 10 bits)
        "128, 4, 0.1", // 32-bit substrings: the sorted (sparse) tables
        "16, 1, 0.2", // one substring: the whole code is the key
        "12, 12, 0.2" // one bit a substring
    })
    void equalsBruteForce(int bits, int substrings, double flip) {
        Random r = new Random(bits * 31L + substrings);
        PackedCodes db = clustered(r, 3000, bits, 12, flip);
        PackedCodes queries = clustered(r, 40, bits, 12, flip);
        MultiIndexHashing index = MultiIndexHashing.build(db, substrings);
        for (int k : new int[] {1, 10, 100}) assertExact(index, queries, k, -1);
        assertExact(index, queries, 50, bits / 8); // a radius: fewer than k, or none
        assertExact(index, queries, 3000, -1); // the whole database in rank order
    }

    @Test
    void tiesBreakByAscendingPositionAndEveryDuplicateIsFound() {
        Random r = new Random(5);
        PackedCodes pool = clustered(r, 20, 64, 3, 0.1);
        long[] words = new long[2000];
        for (int i = 0; i < 2000; i++) words[i] = pool.words()[r.nextInt(20)];
        MultiIndexHashing index = MultiIndexHashing.build(PackedCodes.of(words, 2000, 64), 4);
        assertExact(index, pool, 150, -1); // about 100 exact copies of each query, all at distance 0
        assertExact(index, pool, 30, 0);
    }

    @Test
    void aSearcherIsReusableAndKZeroOrAnEmptyRadiusFindNothing() {
        Random r = new Random(9);
        PackedCodes db = clustered(r, 500, 64, 4, 0.1);
        MultiIndexHashing index = MultiIndexHashing.build(db, 0);
        assertEquals(8, index.substrings()); // 64 bits / log2(500) = 7.1, + 1
        assertEquals(4, MultiIndexHashing.recommended(64, 10_000_000)); // 64 / 23.3 = 2.8, + 1
        assertEquals(8, MultiIndexHashing.recommended(64, 2)); // at most bits / 8 substrings
        assertEquals(5, MultiIndexHashing.recommended(128, Integer.MAX_VALUE)); // round(128 / 31) + 1
        MultiIndexHashing.Searcher s = index.searcher();
        int[] p = new int[10], d = new int[10];
        assertEquals(0, s.search(db.code(0), 0, 0, -1, p, d));
        long[] far = db.code(0).clone();
        far[0] = ~far[0];
        int found = s.search(far, 0, 10, 0, p, d);
        assertEquals(bruteForce(db, far, 10, 0)[0].length, found);
        for (int q = 0; q < 20; q++) { // the marks of one search do not leak into the next
            int n = s.search(db.code(q), 0, 10, -1, p, d);
            assertEquals(10, n);
            assertArrayEquals(bruteForce(db, db.code(q), 10, -1)[0], p);
        }
    }

    @Test
    void substringsBeyondThirtyTwoBitsOrTheCodeAreRefused() {
        PackedCodes db = PackedCodes.of(new long[2], 1, 128);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MultiIndexHashing.build(db, 3));
        assertTrue(e.getMessage().contains("use at least 4"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> MultiIndexHashing.build(PackedCodes.of(new long[1], 1, 8), 9));
    }

    @Test
    void substringsCrossWordBoundaries() {
        long[] code = {0xF000_0000_0000_0001L, 0x0000_0000_0000_0005L};
        assertEquals(0x5FL, MultiIndexHashing.substring(code, 0, 60, 8)); // bits 60..67: 1111 then 0101
        assertEquals(1L, MultiIndexHashing.substring(code, 0, 0, 1));
        assertEquals(0x5L, MultiIndexHashing.substring(code, 0, 64, 32));
    }
}
