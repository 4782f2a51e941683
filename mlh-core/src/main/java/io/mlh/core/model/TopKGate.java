package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.abstractnn.TensorModule;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;

/**
 * A sparse gate: of each row of N x K softmax weights p, keeps the k largest and renormalises them to
 * sum to 1 (the others become 0): y_i = p_i / S for the kept i, S = sum of the kept p. With k = K it
 * is the identity. The gradient is that of the renormalisation on the kept entries, dy_i/dp_j =
 * (delta_ij - y_i) / S, and 0 elsewhere; which entries are kept is piecewise constant in p. So with
 * k = 1 the one kept weight is always 1 and the gate gets no gradient: it routes by its initial
 * weights.
 *
 * <p>BigDL's model serialiser reads a layer's constructor parameters by the names Scala reflection
 * gives them, which for a Java constructor are {@code x$1}, ...: hence the field's name. Loading
 * looks for a Scala companion object, {@link TopKGate$}.
 */
public final class TopKGate extends TensorModule<Float> {
    private static final long serialVersionUID = 1L;

    /** The weights kept a row (BigDL's serialiser's name for the constructor's parameter). */
    @SuppressWarnings("checkstyle:MemberName")
    private final int x$1;

    public TopKGate(int k) {
        super(BigDL.FLOAT, BigDL.NUM);
        if (k < 1) throw new IllegalArgumentException("a top-k gate keeps at least 1 weight, got " + k);
        this.x$1 = k;
    }

    /** The weights kept a row. */
    public int k() {
        return x$1;
    }

    @Override
    public Tensor<Float> updateOutput(Tensor<Float> input) {
        int n = input.size(1), width = input.size(2);
        float[] p = BigDL.toArray(input.contiguous()), y = new float[p.length];
        boolean[] keep = new boolean[width];
        for (int r = 0, off = 0; r < n; r++, off += width) {
            double kept = keep(p, off, width, keep);
            for (int j = 0; j < width; j++) y[off + j] = keep[j] ? (float) (p[off + j] / kept) : 0f;
        }
        output_$eq(BigDL.tensor(y, n, width));
        return output();
    }

    @Override
    public Tensor<Float> updateGradInput(Tensor<Float> input, Tensor<Float> gradOutput) {
        int n = input.size(1), width = input.size(2);
        float[] p = BigDL.toArray(input.contiguous()),
                g = BigDL.toArray(gradOutput.contiguous()),
                y = BigDL.toArray(output().contiguous()),
                out = new float[p.length];
        boolean[] keep = new boolean[width];
        for (int r = 0, off = 0; r < n; r++, off += width) {
            double kept = keep(p, off, width, keep), dot = 0;
            for (int j = 0; j < width; j++) if (keep[j]) dot += (double) g[off + j] * y[off + j];
            for (int j = 0; j < width; j++) out[off + j] = keep[j] ? (float) ((g[off + j] - dot) / kept) : 0f;
        }
        gradInput_$eq(BigDL.tensor(out, n, width));
        return gradInput();
    }

    /** Marks the k largest of row [off, off + width) of p in {@code keep} (ties: the first); returns their sum. */
    private double keep(float[] p, int off, int width, boolean[] keep) {
        java.util.Arrays.fill(keep, false);
        double sum = 0;
        for (int c = 0; c < Math.min(x$1, width); c++) {
            int best = -1;
            for (int j = 0; j < width; j++) if (!keep[j] && (best < 0 || p[off + j] > p[off + best])) best = j;
            keep[best] = true;
            sum += p[off + best];
        }
        return sum;
    }

    /** The shape of its input: MKL-DNN graphs run the layer wrapped, and ask (BigDL's {@code BlasWrapper}). */
    @Override
    public com.intel.analytics.bigdl.utils.Shape computeOutputShape(com.intel.analytics.bigdl.utils.Shape inputShape) {
        return inputShape;
    }

    @Override
    public String toString() {
        return "TopKGate(" + x$1 + ")";
    }
}
