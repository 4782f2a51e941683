package io.mlh.core.codes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackedCodesTest {

    private static float[][] gaussian(Random r, int n, int bits) {
        float[][] x = new float[n][bits];
        for (float[] row : x) {
            for (int k = 0; k < bits; k++) {
                row[k] = (float) r.nextGaussian();
                if (r.nextInt(20) == 0) row[k] = 0; // exact zeros must pack as +1
            }
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 64, 72, 128, 1024})
    void packingRoundTripsAndHammingIsANaiveCount(int bits) {
        Random r = new Random(bits);
        int n = 6;
        float[][] x = gaussian(r, n, bits);
        PackedCodes c = PackedCodes.fromSigns(x);
        assertEquals(n, c.size());
        assertEquals(bits, c.bits());
        assertEquals((bits + 63) / 64, c.wordsPerCode());
        assertEquals(n * c.wordsPerCode(), c.words().length);
        for (int i = 0; i < n; i++) {
            int[] s = c.signs(i);
            for (int k = 0; k < bits; k++) assertEquals(x[i][k] >= 0 ? 1 : -1, s[k], "code " + i + " bit " + k);
            long last = c.code(i)[c.wordsPerCode() - 1];
            if (bits % 64 != 0) assertEquals(0, last >>> (bits % 64), "unused bits must be zero");
            for (int j = 0; j < n; j++) {
                int naive = 0;
                for (int k = 0; k < bits; k++) naive += (x[i][k] >= 0) != (x[j][k] >= 0) ? 1 : 0;
                assertEquals(naive, c.hamming(i, c, j));
                int w = c.wordsPerCode();
                assertEquals(naive, PackedCodes.hamming(c.words(), i * w, c.words(), j * w, w));
            }
        }
        // the flat, wrapped and sliced forms all give the same codes
        float[] flat = new float[n * bits];
        for (int i = 0; i < n; i++) System.arraycopy(x[i], 0, flat, i * bits, bits);
        assertEquals(c, PackedCodes.fromSigns(flat, n, bits));
        assertEquals(c.hashCode(), PackedCodes.fromSigns(flat, n, bits).hashCode());
        assertEquals(c, PackedCodes.of(c.words().clone(), n, bits));
        PackedCodes slice = c.slice(2, 5);
        assertEquals(PackedCodes.fromSigns(new float[][] {x[2], x[3], x[4]}), slice);
        assertEquals(c.hamming(2, c, 4), slice.hamming(0, slice, 2));
    }

    /** Bit k is word k / 64, position k % 64, least significant first; +1 is a set bit. */
    @Test
    void bitOrderIsLeastSignificantFirstAndZeroIsPositive() {
        float[] code = new float[64];
        Arrays.fill(code, -1f);
        code[0] = 1; // [+1, -1, -1, ...]
        assertArrayEquals(
                new long[] {1L}, PackedCodes.fromSigns(new float[][] {code}).code(0));
        code[0] = -1;
        code[63] = 0; // sign(0) = +1
        assertArrayEquals(
                new long[] {Long.MIN_VALUE},
                PackedCodes.fromSigns(new float[][] {code}).code(0));
        code[63] = -0.0f; // -0.0 >= 0 too
        assertArrayEquals(
                new long[] {Long.MIN_VALUE},
                PackedCodes.fromSigns(new float[][] {code}).code(0));

        float[] wide = new float[72];
        Arrays.fill(wide, -1f);
        wide[1] = 0.5f;
        wide[64] = 2;
        wide[71] = Float.POSITIVE_INFINITY;
        wide[70] = Float.NEGATIVE_INFINITY;
        PackedCodes p = PackedCodes.fromSigns(new float[][] {wide});
        assertArrayEquals(new long[] {2L, 1L | 1L << 7}, p.code(0));
        int[] s = p.signs(0);
        assertEquals(1, s[1]);
        assertEquals(-1, s[0]);
        assertEquals(1, s[64]);
        assertEquals(-1, s[70]);
        assertEquals(1, s[71]);

        // all +1 at 8 bits: the low byte only, high bits stay zero
        assertArrayEquals(
                new long[] {0xFFL},
                PackedCodes.fromSigns(new float[] {0, 0, 0, 0, 0, 0, 0, 0}, 1, 8)
                        .code(0));
    }

    @Test
    void codeIsACopyAndWordsIsTheBackingArray() {
        PackedCodes c = PackedCodes.fromSigns(new float[][] {{1, -1, 1}, {-1, -1, 1}});
        long[] copy = c.code(0);
        copy[0] = 0;
        assertArrayEquals(new long[] {5L}, c.code(0));
        assertArrayEquals(new long[] {5L, 4L}, c.words());
        assertArrayEquals(new int[] {-1, -1, 1}, c.signs(1));
    }

    @Test
    void nanIsRejectedNamingRowAndColumn() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> PackedCodes.fromSigns(new float[][] {{1, 2, 3}, {1, -2, Float.NaN}}));
        assertEquals("NaN at row 1, column 2", e.getMessage());
        float[] flat = {1, 2, 3, Float.NaN, 5, 6};
        e = assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(flat, 2, 3));
        assertEquals("NaN at row 1, column 0", e.getMessage());
    }

    @Test
    void badShapesAreRejected() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(new float[][] {{1, 1}, {1}}));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(new float[0], -1, 3));
        // of(): wrong length, a bit set beyond `bits`
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[3], 2, 64));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[2], 2, 72));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[] {1L << 40}, 1, 32));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[] {0, 0, 0, 1L << 8}, 2, 72));
        assertEquals(2, PackedCodes.of(new long[] {-1L, 0xFFL, 0, 0}, 2, 72).size()); // bits 64..71 are in use
        // index checks instead of silently reading zeros past the end
        PackedCodes c = PackedCodes.fromSigns(new float[][] {new float[16], new float[16]});
        assertThrows(IndexOutOfBoundsException.class, () -> c.code(2));
        assertThrows(IndexOutOfBoundsException.class, () -> c.signs(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.slice(1, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> c.slice(2, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.hamming(0, c, 2));
        PackedCodes wider = PackedCodes.fromSigns(new float[][] {new float[32]});
        assertThrows(IllegalArgumentException.class, () -> c.hamming(0, wider, 0));
    }

    @Test
    void equalityNeedsTheSameBitsCountAndWords() {
        PackedCodes a = PackedCodes.of(new long[] {3L}, 1, 8);
        assertEquals(a, PackedCodes.of(new long[] {3L}, 1, 8));
        assertNotEquals(a, PackedCodes.of(new long[] {3L}, 1, 16)); // same words, other length
        assertNotEquals(a, PackedCodes.of(new long[] {7L}, 1, 8));
        assertEquals(0, PackedCodes.fromSigns(new float[0][]).size());
        assertEquals(PackedCodes.fromSigns(new float[0][]), PackedCodes.of(new long[0], 0, 0));
    }
}
