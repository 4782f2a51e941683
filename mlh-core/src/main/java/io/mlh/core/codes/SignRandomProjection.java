package io.mlh.core.codes;

import io.mlh.core.data.LabelledImages;
import java.util.Random;

/**
 * The classic data-independent baseline: b = sign(W (x - mean)) with W a seeded Gaussian matrix
 * (locality-sensitive hashing for cosine similarity). Learned codes must clearly beat it.
 */
public final class SignRandomProjection {
    private final float[] mean;
    private final float[][] w;

    public SignRandomProjection(LabelledImages fitOn, int bits, long seed) {
        int d = fitOn.imageSize();
        mean = new float[d];
        for (int i = 0; i < fitOn.size(); i++)
            for (int k = 0; k < d; k++) mean[k] += fitOn.pixels[i * d + k] / fitOn.size();
        Random r = new Random(seed);
        w = new float[bits][d];
        for (float[] row : w) for (int k = 0; k < d; k++) row[k] = (float) r.nextGaussian();
    }

    public PackedCodes encode(LabelledImages images) {
        int d = images.imageSize();
        float[][] proj = new float[images.size()][w.length];
        for (int i = 0; i < images.size(); i++) {
            for (int b = 0; b < w.length; b++) {
                double s = 0;
                for (int k = 0; k < d; k++) s += w[b][k] * (images.pixels[i * d + k] - mean[k]);
                proj[i][b] = (float) s;
            }
        }
        return PackedCodes.fromSigns(proj);
    }
}
