package io.mlh.core.data;

import java.util.Arrays;

/**
 * An in-memory set of images with multi-hot labels: pixels as floats, N x C x H x W row-major
 * (NCHW, BigDL's layout), already normalised for the network.
 */
public final class LabelledImages {
    public final int channels, height, width;
    public final float[] pixels;
    public final float[][] labels;

    public LabelledImages(int channels, int height, int width, float[] pixels, float[][] labels) {
        int per = channels * height * width;
        if (pixels.length != labels.length * per) {
            throw new IllegalArgumentException(pixels.length + " pixels do not make " + labels.length + " images of "
                    + channels + "x" + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
    }

    public int size() {
        return labels.length;
    }

    public int imageSize() {
        return channels * height * width;
    }

    public int classes() {
        return labels.length == 0 ? 0 : labels[0].length;
    }

    /** The images at {@code indices}, in that order. */
    public LabelledImages select(int[] indices) {
        int per = imageSize();
        float[] px = new float[indices.length * per];
        float[][] y = new float[indices.length][];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * per, px, i * per, per);
            y[i] = labels[indices[i]];
        }
        return new LabelledImages(channels, height, width, px, y);
    }

    /**
     * Grayscale IDX images with class labels 0..classes-1, scaled to [0, 1] and standardised by
     * the given mean and standard deviation.
     */
    public static LabelledImages fromIdx(IdxFile.Images images, int[] classLabels, int classes, float mean, float std) {
        if (images.count != classLabels.length) {
            throw new IllegalArgumentException(images.count + " images but " + classLabels.length + " labels");
        }
        float[] px = new float[images.pixels.length];
        for (int i = 0; i < px.length; i++) px[i] = ((images.pixels[i] & 0xff) / 255f - mean) / std;
        float[][] y = new float[classLabels.length][classes];
        for (int i = 0; i < classLabels.length; i++) {
            if (classLabels[i] < 0 || classLabels[i] >= classes) {
                throw new IllegalArgumentException(
                        "record " + i + ": label " + classLabels[i] + " outside 0.." + (classes - 1));
            }
            y[i][classLabels[i]] = 1;
        }
        return new LabelledImages(1, images.rows, images.cols, px, y);
    }

    /** Concatenation of two sets of the same shape (e.g. the train and test files of a dataset). */
    public static LabelledImages concat(LabelledImages a, LabelledImages b) {
        if (a.channels != b.channels || a.height != b.height || a.width != b.width || a.classes() != b.classes()) {
            throw new IllegalArgumentException("cannot concatenate image sets of different shapes");
        }
        float[] px = Arrays.copyOf(a.pixels, a.pixels.length + b.pixels.length);
        System.arraycopy(b.pixels, 0, px, a.pixels.length, b.pixels.length);
        float[][] y = Arrays.copyOf(a.labels, a.size() + b.size());
        System.arraycopy(b.labels, 0, y, a.size(), b.size());
        return new LabelledImages(a.channels, a.height, a.width, px, y);
    }
}
