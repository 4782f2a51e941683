package io.mlh.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    private static final int C = 2, S = 5;

    /** value = channel * 100 + row * 10 + column + 1, so every pixel says where it came from */
    private static float[] image() {
        float[] x = new float[C * S * S];
        for (int c = 0; c < C; c++) for (int y = 0; y < S; y++) for (int col = 0; col < S; col++) x[(c * S + y) * S + col] = c * 100 + y * 10 + col + 1;
        return x;
    }

    @Test
    void identityCopiesTheImage() {
        Augmentation none = new Augmentation(false, 0, 7, 1);
        assertTrue(none.isIdentity());
        float[] x = image();
        float[] y = none.apply(x, C, S, 42);
        assertNotSame(x, y);
        assertArrayEquals(x, y);
    }

    @Test
    void everyOutputIsAFlipAndShiftOfTheInputFilledWithZeros() {
        float[] x = image();
        int flipped = 0, shifted = 0;
        for (long id = 0; id < 200; id++) {
            float[] y = new Augmentation(true, 2, 7, 3).apply(x, C, S, id);
            boolean found = false;
            for (int mirror = 0; mirror < 2 && !found; mirror++) {
                for (int dy = -2; dy <= 2 && !found; dy++) {
                    for (int dx = -2; dx <= 2 && !found; dx++) {
                        if (Arrays.equals(y, expected(x, mirror == 1, dy, dx))) {
                            found = true;
                            if (mirror == 1) flipped++;
                            if (dy != 0 || dx != 0) shifted++;
                        }
                    }
                }
            }
            assertTrue(found, "image " + id + " is no flip + shift of the input: " + Arrays.toString(y));
        }
        assertTrue(flipped > 70 && flipped < 130, "about half flipped, got " + flipped + " of 200");
        assertTrue(shifted > 150, "most shifted (24 of 25 shifts are non-zero), got " + shifted + " of 200");
    }

    @Test
    void drawsDependOnSeedEpochAndIdOnly() {
        float[] x = image();
        assertArrayEquals(new Augmentation(true, 2, 7, 3).apply(x, C, S, 11), new Augmentation(true, 2, 7, 3).apply(x, C, S, 11));
        int differ = 0;
        for (long id = 0; id < 50; id++) {
            if (!Arrays.equals(new Augmentation(true, 2, 7, 3).apply(x, C, S, id), new Augmentation(true, 2, 7, 4).apply(x, C, S, id))) differ++;
        }
        assertTrue(differ > 40, "the next epoch draws anew: " + differ + " of 50 differ");
        assertFalse(new Augmentation(true, 0, 7, 1).isIdentity());
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(true, 1, 7, 1).apply(new float[7], C, S, 0));
        assertEquals(C * S * S, new Augmentation(false, 1, 7, 1).apply(x, C, S, 0).length);
    }

    private static float[] expected(float[] x, boolean mirror, int dy, int dx) {
        float[] out = new float[x.length];
        for (int c = 0; c < C; c++) {
            for (int y = 0; y < S; y++) {
                for (int col = 0; col < S; col++) {
                    int sy = y + dy, sx = (mirror ? S - 1 - col : col) + dx;
                    if (sy >= 0 && sy < S && sx >= 0 && sx < S) out[(c * S + y) * S + col] = x[(c * S + sy) * S + sx];
                }
            }
        }
        return out;
    }
}
