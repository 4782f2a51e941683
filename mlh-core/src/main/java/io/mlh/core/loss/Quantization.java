package io.mlh.core.loss;

/** The quantisation penalties that push continuous codes toward ±1. */
final class Quantization {
    private Quantization() {}

    /** weight * mean((|u| - 1)^2); adds its gradient into {@code grad}. */
    static double absToOne(float[][] u, double weight, double[][] grad) {
        if (weight == 0) return 0;
        int n = u.length, q = u[0].length;
        double scale = weight / ((double) n * q), sum = 0;
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < q; k++) {
                double x = u[j][k], e = Math.abs(x) - 1;
                sum += e * e;
                grad[j][k] += 2 * scale * e * Math.signum(x);
            }
        }
        return scale * sum;
    }

    /** weight * mean((u - sign(u))^2) with sign held constant (sign(0) = +1); adds its gradient. */
    static double toSign(float[][] u, double weight, double[][] grad) {
        if (weight == 0) return 0;
        int n = u.length, q = u[0].length;
        double scale = weight / ((double) n * q), sum = 0;
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < q; k++) {
                double x = u[j][k], e = x - (x >= 0 ? 1 : -1);
                sum += e * e;
                grad[j][k] += 2 * scale * e;
            }
        }
        return scale * sum;
    }
}
