package io.mlh.jobs.train;

import io.mlh.jobs.images.ImageCodec;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Training-time augmentation. Before decoding, the ImageNet-style random resized crop ({@link #crop}):
 * a region of a random fraction of the image's area and a random aspect ratio, which the codec
 * resizes to the input size. After it, on the normalised CHW input: a random left-right flip and a
 * random shift of up to {@code padding} pixels each way (a random crop of the zero-padded image; zero
 * is the mean after normalisation). Every draw depends only on (seed, epoch, image id), so an epoch is
 * reproducible whichever executor runs it and however the data is partitioned.
 */
public final class Augmentation implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Salt of the crop's random stream, apart from the flip and shift draws. */
    private static final long CROP_STREAM = 0x5DEECE66DL;

    private final boolean flip;
    private final int padding;
    private final long seed;
    private final int epoch;
    /** Random resized crop: [min, max] fraction of the image's area and of width / height; null: none. */
    private final double[] cropScale, cropRatio;

    public Augmentation(boolean flip, int padding, long seed, int epoch) {
        this(flip, padding, null, null, seed, epoch);
    }

    public Augmentation(boolean flip, int padding, double[] cropScale, double[] cropRatio, long seed, int epoch) {
        if (padding < 0) throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        if ((cropScale == null) != (cropRatio == null))
            throw new IllegalArgumentException("a resized crop needs both scale and ratio");
        this.flip = flip;
        this.padding = padding;
        this.cropScale = cropScale;
        this.cropRatio = cropRatio;
        this.seed = seed;
        this.epoch = epoch;
    }

    public boolean isIdentity() {
        return !flip && padding == 0 && cropScale == null;
    }

    /**
     * The random resized crop drawn for {@code id} in a {@code height x width} image, or null when
     * none is configured. Up to ten draws of (area fraction, log aspect ratio) are tried for one that
     * fits; failing that, the largest centred region within the ratio bounds.
     */
    public ImageCodec.Region crop(int height, int width, long id) {
        if (cropScale == null) return null;
        SplittableRandom rng = new SplittableRandom(mix(seed, epoch, id) ^ CROP_STREAM);
        double area = (double) height * width, logLow = Math.log(cropRatio[0]), logHigh = Math.log(cropRatio[1]);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (cropScale[0] + rng.nextDouble() * (cropScale[1] - cropScale[0]));
            double ratio = Math.exp(logLow + rng.nextDouble() * (logHigh - logLow));
            int w = (int) Math.round(Math.sqrt(target * ratio)), h = (int) Math.round(Math.sqrt(target / ratio));
            if (w >= 1 && h >= 1 && w <= width && h <= height) {
                return new ImageCodec.Region(rng.nextInt(width - w + 1), rng.nextInt(height - h + 1), w, h);
            }
        }
        double aspect = (double) width / height;
        int w = width, h = height;
        if (aspect < cropRatio[0]) h = Math.max(1, (int) Math.round(width / cropRatio[0]));
        else if (aspect > cropRatio[1]) w = Math.max(1, (int) Math.round(height * cropRatio[1]));
        return new ImageCodec.Region((width - w) / 2, (height - h) / 2, w, h);
    }

    /**
     * {@code chw} ({@code channels x size x size}) flipped and shifted as drawn for {@code id}: a new
     * array, or {@code chw} itself when neither is configured.
     */
    public float[] apply(float[] chw, int channels, int size, long id) {
        if (chw.length != channels * size * size) {
            throw new IllegalArgumentException(
                    "image of " + chw.length + " values is not " + channels + "x" + size + "x" + size);
        }
        if (!flip && padding == 0) return chw;
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
