package io.mlh.jobs.train;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Training-time augmentation on a normalised CHW image: a random left-right flip and a random shift
 * of up to {@code padding} pixels each way (a random crop of the zero-padded image; zero is the mean
 * after normalisation). The draw depends only on (seed, epoch, image id), so an epoch is reproducible
 * whichever executor runs it and however the data is partitioned.
 */
public final class Augmentation implements Serializable {
    private static final long serialVersionUID = 1L;
    private final boolean flip;
    private final int padding;
    private final long seed;
    private final int epoch;

    public Augmentation(boolean flip, int padding, long seed, int epoch) {
        if (padding < 0) throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        this.flip = flip;
        this.padding = padding;
        this.seed = seed;
        this.epoch = epoch;
    }

    public boolean isIdentity() {
        return !flip && padding == 0;
    }

    /** A new array: {@code chw} ({@code channels x size x size}) flipped and shifted as drawn for {@code id}. */
    public float[] apply(float[] chw, int channels, int size, long id) {
        if (chw.length != channels * size * size) {
            throw new IllegalArgumentException("image of " + chw.length + " values is not " + channels + "x" + size + "x" + size);
        }
        SplittableRandom rng = new SplittableRandom(mix(seed, epoch, id));
        boolean mirror = flip && rng.nextBoolean();
        int dy = padding == 0 ? 0 : rng.nextInt(-padding, padding + 1);
        int dx = padding == 0 ? 0 : rng.nextInt(-padding, padding + 1);
        float[] out = new float[chw.length];
        for (int c = 0; c < channels; c++) {
            int plane = c * size * size;
            for (int y = 0; y < size; y++) {
                int sy = y + dy;
                if (sy < 0 || sy >= size) continue; // outside the source: stays 0, the mean
                for (int x = 0; x < size; x++) {
                    int sx = (mirror ? size - 1 - x : x) + dx;
                    if (sx >= 0 && sx < size) out[plane + y * size + x] = chw[plane + sy * size + sx];
                }
            }
        }
        return out;
    }

    private static long mix(long seed, int epoch, long id) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + id;
        return h ^ (h >>> 29);
    }
}
