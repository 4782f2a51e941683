package io.mlh.core.model.pretrained;

import java.util.Arrays;

/** A tensor of a PyTorch checkpoint: its shape, its element type, and (floating point) its values in C order. */
public final class TorchTensor {
    /** Dimensions, outermost first; empty for a scalar. */
    public final int[] shape;
    /** Torch's storage type without "Storage": Float, Double, Half, BFloat16, Long, Int, ... */
    public final String type;
    /** The values as floats in C (row-major) order; null for an integer or boolean tensor. */
    public final float[] values;

    TorchTensor(int[] shape, String type, float[] values) {
        this.shape = shape;
        this.type = type;
        this.values = values;
    }

    public boolean isFloatingPoint() {
        return values != null;
    }

    /** The shape as PyTorch prints it: [64, 3, 7, 7]. */
    public String shapeText() {
        return Arrays.toString(shape);
    }

    public long elements() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
