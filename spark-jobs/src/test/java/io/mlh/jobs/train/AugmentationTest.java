package io.mlh.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    private static final int C = 2, S = 5;

    /** value = channel * 100 + row * 10 + column + 1, so every pixel says where it came from */
    private static float[] image() {
        float[] x = new float[C * S * S];
        for (int c = 0; c < C; c++)
            for (int y = 0; y < S; y++)
                for (int col = 0; col < S; col++) x[(c * S + y) * S + col] = c * 100 + y * 10 + col + 1;
        return x;
    }

    @Test
    void identityLeavesTheImageAlone() {
        Augmentation none = new Augmentation(false, 0, 7, 1);
        assertTrue(none.isIdentity());
        float[] x = image();
        assertSame(x, none.apply(x, C, S, 42));
        assertNull(none.crop(100, 200, 42), "no resized crop configured");
    }

    private static final double[] SCALE = {0.08, 1.0}, RATIO = {3 / 4.0, 4 / 3.0};

    @Test
    void resizedCropsLieInsideTheImageWithinTheirScaleAndRatio() {
        Augmentation crops = new Augmentation(false, 0, SCALE, RATIO, 7, 3);
        assertFalse(crops.isIdentity());
        int h = 375, w = 500, full = 0, small = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (long id = 0; id < 400; id++) {
            io.mlh.jobs.images.ImageCodec.Region r = crops.crop(h, w, id);
            assertTrue(
                    r.x >= 0 && r.y >= 0 && r.x + r.width <= w && r.y + r.height <= h,
                    "crop " + r + " leaves the image");
            double area = (double) r.width * r.height / (h * w), aspect = (double) r.width / r.height;
            double slack = 2.0 / Math.min(r.width, r.height); // rounding to whole pixels
            assertTrue(area >= SCALE[0] * (1 - slack) && area <= 1, "area fraction " + area + " of " + r);
            assertTrue(
                    aspect >= RATIO[0] * (1 - slack) && aspect <= RATIO[1] * (1 + slack),
                    "aspect " + aspect + " of " + r);
            if (area > 0.8) full++;
            if (area < 0.3) small++;
            seen.add(r.toString());
            assertEquals(
                    r.toString(),
                    new Augmentation(false, 0, SCALE, RATIO, 7, 3)
                            .crop(h, w, id)
                            .toString(),
                    "the same draw for the same id");
        }
        assertTrue(seen.size() > 390, "crops repeat: " + seen.size() + " distinct of 400");
        assertTrue(
                full > 20 && small > 80,
                "area fractions spread over [0.08, 1]: " + full + " above 0.8, " + small + " below 0.3");
        int moved = 0;
        for (long id = 0; id < 100; id++) {
            if (!crops.crop(h, w, id)
                    .toString()
                    .equals(new Augmentation(false, 0, SCALE, RATIO, 7, 4)
                            .crop(h, w, id)
                            .toString())) moved++;
        }
        assertTrue(moved > 95, "another epoch draws other crops: only " + moved + " of 100 differ");
    }

    @Test
    void aCropThatCannotFitFallsBackToTheCentredRegionWithinTheRatio() {
        // a 10 x 1000 strip: no crop of 90-100% of its area has an aspect ratio in [3/4, 4/3]
        io.mlh.jobs.images.ImageCodec.Region r =
                new Augmentation(false, 0, new double[] {0.9, 1.0}, RATIO, 7, 1).crop(10, 1000, 5);
        assertEquals("13x10 at (493, 0)", r.toString());
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
        assertArrayEquals(
                new Augmentation(true, 2, 7, 3).apply(x, C, S, 11), new Augmentation(true, 2, 7, 3).apply(x, C, S, 11));
        int differ = 0;
        for (long id = 0; id < 50; id++) {
            if (!Arrays.equals(
                    new Augmentation(true, 2, 7, 3).apply(x, C, S, id),
                    new Augmentation(true, 2, 7, 4).apply(x, C, S, id))) differ++;
        }
        assertTrue(differ > 40, "the next epoch draws anew: " + differ + " of 50 differ");
        assertFalse(new Augmentation(true, 0, 7, 1).isIdentity());
        assertThrows(
                IllegalArgumentException.class, () -> new Augmentation(true, 1, 7, 1).apply(new float[7], C, S, 0));
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
