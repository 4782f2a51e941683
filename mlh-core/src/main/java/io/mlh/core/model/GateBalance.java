package io.mlh.core.model;

/**
 * The usual mixture-of-experts balance term, as a layer on a gate's N x K weights g: the identity
 * forward, and backward adds the gradient of w R, R = the squared coefficient of variation of the
 * experts' mean loads over the batch (load_k = mean_n g_nk): R = var(load) / mean(load)^2. R is 0
 * when every expert carries the same share of the batch, whatever each image's own weights.
 */
public final class GateBalance extends TrainingTerm {
    private static final long serialVersionUID = 1L;

    public GateBalance(double weight) {
        super(weight, "balance");
    }

    /** R of a batch of weights (row-major, n x k). */
    public static double penalty(float[] g, int n, int k) {
        double[] load = loads(g, n, k);
        double mean = mean(load), var = 0;
        for (double l : load) var += (l - mean) * (l - mean);
        return var / k / (mean * mean);
    }

    @Override
    void addGradient(float[] g, int[] shape, double weight, float[] grad) {
        int n = shape[0], k = shape[1];
        double[] load = loads(g, n, k);
        double mean = mean(load), var = 0;
        for (double l : load) var += (l - mean) * (l - mean);
        var /= k;
        for (int j = 0; j < k; j++) {
            // dR/dload_j = 2 (load_j - mean) / (k mean^2) - 2 var / (k mean^3); dload_j/dg_ij = 1 / n
            double d = (2 * (load[j] - mean) / (k * mean * mean) - 2 * var / (k * mean * mean * mean)) / n;
            for (int i = 0; i < n; i++) grad[i * k + j] += (float) (weight * d);
        }
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
}
