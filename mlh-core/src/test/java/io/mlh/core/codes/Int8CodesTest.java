package io.mlh.core.codes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Int8CodesTest {
    @Test
    void quantisesRound127uClampedToPlusMinusOne() {
        assertEquals(127, Int8Codes.quantize(1f));
        assertEquals(-127, Int8Codes.quantize(-1f));
        assertEquals(127, Int8Codes.quantize(3f));
        assertEquals(-127, Int8Codes.quantize(Float.NEGATIVE_INFINITY));
        assertEquals(0, Int8Codes.quantize(0.003f));
        assertEquals(64, Int8Codes.quantize(0.5f)); // 63.5 rounds up
        assertEquals(-13, Int8Codes.quantize(-0.1f));
        IllegalArgumentException nan =
                assertThrows(IllegalArgumentException.class, () -> Int8Codes.quantize(Float.NaN));
        assertTrue(nan.getMessage().contains("NaN"));
        assertArrayEquals(new byte[] {127, 0, -64}, Int8Codes.quantize(new float[] {9f, 1f, 0f, -0.5f}, 1, 3));
    }

    @Test
    void cosineOfTheBytesWithZeroCodesAtZero() {
        Int8Codes c = Int8Codes.fromContinuous(new float[] {1f, 0f, 0.6f, 0.8f, 0f, 0f, -1f, 0f}, 4, 2);
        assertArrayEquals(new byte[] {76, 102}, c.code(1));
        assertEquals(1.0, c.cosine(0, c, 0), 1e-15);
        assertEquals(76 * 127 / Math.sqrt(127.0 * 127 * (76 * 76 + 102 * 102)), c.cosine(0, c, 1), 1e-15);
        assertEquals(c.cosine(0, c, 1), c.cosine(1, c, 0), 0);
        assertEquals(-1.0, c.cosine(0, c, 3), 1e-15);
        assertEquals(0.0, c.cosine(2, c, 0), 0);
        assertEquals(c.cosine(0, c, 1), Int8Codes.cosine(c.code(0), 0, c.code(1), 0, 2), 0);
    }

    @Test
    void shapesThatDoNotFitAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Int8Codes.of(new byte[5], 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Int8Codes.fromContinuous(new float[4], 3, 2));
        Int8Codes two = Int8Codes.of(new byte[4], 2, 2), three = Int8Codes.of(new byte[3], 1, 3);
        assertThrows(IllegalArgumentException.class, () -> two.cosine(0, three, 0));
    }
}
