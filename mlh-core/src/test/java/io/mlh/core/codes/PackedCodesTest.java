package io.mlh.core.codes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackedCodesTest {

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 64, 72, 128, 1024})
    void packingRoundTripsAndHammingIsACount(int bits) {
        Random r = new Random(bits);
        float[][] x = new float[5][bits];
        for (float[] row : x) for (int k = 0; k < bits; k++) row[k] = (float) r.nextGaussian();
        PackedCodes c = PackedCodes.fromSigns(x);
        assertEquals(5, c.size());
        assertEquals((bits + 63) / 64, c.wordsPerCode());
        for (int i = 0; i < 5; i++) {
            int[] s = c.signs(i);
            for (int k = 0; k < bits; k++) assertEquals(x[i][k] >= 0 ? 1 : -1, s[k]);
            long last = c.code(i)[c.wordsPerCode() - 1];
            if (bits % 64 != 0) assertEquals(0, last >>> (bits % 64), "unused bits must be zero");
            for (int j = 0; j < 5; j++) {
                int naive = 0;
                for (int k = 0; k < bits; k++) naive += (x[i][k] >= 0) != (x[j][k] >= 0) ? 1 : 0;
                assertEquals(naive, c.hamming(i, c, j));
            }
        }
        float[] flat = new float[5 * bits];
        for (int i = 0; i < 5; i++) System.arraycopy(x[i], 0, flat, i * bits, bits);
        assertEquals(c, PackedCodes.fromSigns(flat, 5, bits));
        assertEquals(c, PackedCodes.of(c.words().clone(), 5, bits));
        assertEquals(c.slice(2, 4), PackedCodes.fromSigns(new float[][] {x[2], x[3]}));
    }

    @Test
    void bitOrderIsLeastSignificantFirstAndZeroIsPositive() {
        float[] code = new float[64];
        java.util.Arrays.fill(code, -1f);
        code[0] = 1;
        assertArrayEquals(new long[] {1L}, PackedCodes.fromSigns(new float[][] {code}).code(0));
        code[0] = -1;
        code[63] = 0; // sign(0) = +1
        assertArrayEquals(new long[] {Long.MIN_VALUE}, PackedCodes.fromSigns(new float[][] {code}).code(0));
        float[] wide = new float[72];
        java.util.Arrays.fill(wide, -1f);
        wide[64] = 2;
        assertArrayEquals(new long[] {0L, 1L}, PackedCodes.fromSigns(new float[][] {wide}).code(0));
    }

    @Test
    void badInputIsRejected() {
        float[][] nan = {{1, Float.NaN}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(nan));
        assertEquals("code 0 bit 1 is NaN", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.fromSigns(new float[][] {{1, 1}, {1}}));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[] {1L << 40}, 1, 32));
        assertThrows(IllegalArgumentException.class, () -> PackedCodes.of(new long[3], 2, 64));
        PackedCodes a = PackedCodes.fromSigns(new float[][] {new float[16]}), b = PackedCodes.fromSigns(new float[][] {new float[32]});
        assertThrows(IllegalArgumentException.class, () -> a.hamming(0, b, 0));
    }
}
