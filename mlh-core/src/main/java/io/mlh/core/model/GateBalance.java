package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.abstractnn.TensorModule;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;

/**
 * The usual mixture-of-experts balance term, as a layer on a gate's N x K weights g: the identity
 * forward, and backward adds the gradient of w R, R = the squared coefficient of variation of the
 * experts' mean loads over the batch (load_k = mean_n g_nk): R = var(load) / mean(load)^2. R is 0
 * when every expert carries the same share of the batch, whatever each image's own weights.
 *
 * <p>BigDL's serialiser names a Java constructor's parameter {@code x$1} (see {@link TopKGate}).
 */
public final class GateBalance extends TensorModule<Float> {
    private static final long serialVersionUID = 1L;

    /** The term's weight w (BigDL's serialiser's name for the constructor's parameter). */
    @SuppressWarnings("checkstyle:MemberName")
    private final double x$1;

    public GateBalance(double weight) {
        super(BigDL.FLOAT, BigDL.NUM);
        if (!(weight >= 0)) throw new IllegalArgumentException("the balance weight must be >= 0, got " + weight);
        this.x$1 = weight;
    }

    /** R of a batch of weights (row-major, n x k). */
    public static double penalty(float[] g, int n, int k) {
        double[] load = loads(g, n, k);
        double mean = mean(load), var = 0;
        for (double l : load) var += (l - mean) * (l - mean);
        return var / k / (mean * mean);
    }

    @Override
    public Tensor<Float> updateOutput(Tensor<Float> input) {
        output_$eq(input);
        return output();
    }

    @Override
    public Tensor<Float> updateGradInput(Tensor<Float> input, Tensor<Float> gradOutput) {
        int n = input.size(1), k = input.size(2);
        float[] g = BigDL.toArray(input.contiguous()), out = BigDL.toArray(gradOutput.contiguous());
        double[] load = loads(g, n, k);
        double mean = mean(load), var = 0;
        for (double l : load) var += (l - mean) * (l - mean);
        var /= k;
        for (int j = 0; j < k; j++) {
            // dR/dload_j = 2 (load_j - mean) / (k mean^2) - 2 var / (k mean^3); dload_j/dg_ij = 1 / n
            double d = (2 * (load[j] - mean) / (k * mean * mean) - 2 * var / (k * mean * mean * mean)) / n;
            for (int i = 0; i < n; i++) out[i * k + j] += (float) (x$1 * d);
        }
        gradInput_$eq(BigDL.tensor(out, n, k));
        return gradInput();
    }

    private static double[] loads(float[] g, int n, int k) {
        double[] load = new double[k];
        for (int i = 0; i < n; i++) for (int j = 0; j < k; j++) load[j] += g[i * k + j];
        for (int j = 0; j < k; j++) load[j] /= n;
        return load;
    }

    private static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    @Override
    public com.intel.analytics.bigdl.utils.Shape computeOutputShape(com.intel.analytics.bigdl.utils.Shape inputShape) {
        return inputShape;
    }

    @Override
    public String toString() {
        return "GateBalance(" + x$1 + ")";
    }
}
