package io.mlh.core.model;

/**
 * A diversity term, as a layer on the experts' N x K x q outputs e: the identity forward, and backward
 * adds the gradient of w R, R = the mean over images and pairs of experts k < l of the squared cosine
 * between e_k and e_l. R is 0 when each image's experts are orthogonal, 1 when they all point alike
 * (or opposite): it pushes the experts to code an image differently, not to cancel each other.
 */
public final class ExpertDiversity extends TrainingTerm {
    private static final long serialVersionUID = 1L;
    /** Added under the square roots of the norms, so that a zero output has a gradient. */
    private static final double EPS = 1e-12;

    public ExpertDiversity(double weight) {
        super(weight, "diversity");
    }

    /** R of a batch of expert outputs (row-major, n x k x q), and with {@code grad} its gradient. */
    public static double penalty(float[] e, int n, int k, int q, double[] grad) {
        if (k < 2) return 0;
        double pairs = k * (k - 1) / 2.0, r = 0;
        double[] norm = new double[k];
        for (int i = 0; i < n; i++) {
            int base = i * k * q;
            for (int a = 0; a < k; a++) {
                double s = EPS;
                for (int b = 0; b < q; b++) s += (double) e[base + a * q + b] * e[base + a * q + b];
                norm[a] = Math.sqrt(s);
            }
            for (int a = 0; a < k; a++)
                for (int c = a + 1; c < k; c++) {
                    double dot = 0;
                    for (int b = 0; b < q; b++) dot += (double) e[base + a * q + b] * e[base + c * q + b];
                    double cos = dot / (norm[a] * norm[c]);
                    r += cos * cos;
                    if (grad == null) continue;
                    // d cos^2 = 2 cos d cos; d cos / d e_a = e_c / (|e_a||e_c|) - cos e_a / |e_a|^2
                    double f = 2 * cos / (n * pairs);
                    for (int b = 0; b < q; b++) {
                        double ea = e[base + a * q + b], ec = e[base + c * q + b];
                        grad[base + a * q + b] += f * (ec / (norm[a] * norm[c]) - cos * ea / (norm[a] * norm[a]));
                        grad[base + c * q + b] += f * (ea / (norm[a] * norm[c]) - cos * ec / (norm[c] * norm[c]));
                    }
                }
        }
        return r / (n * pairs);
    }

    @Override
    void addGradient(float[] e, int[] shape, double weight, float[] grad) {
        double[] g = new double[e.length];
        penalty(e, shape[0], shape[1], shape[2], g);
        for (int i = 0; i < grad.length; i++) grad[i] += (float) (weight * g[i]);
    }
}
