package io.mlh.core.loss;

/**
 * L_P, the pairwise branch's in-batch likelihood loss (DPSH form). For every ordered pair i != j,
 * S_ij = 1[y_i . y_j > 0] and theta_ij = 0.5 u_i . u_j:
 *
 * <pre>
 *   L_P = mean_{i != j} [ log(1 + e^theta_ij) - S_ij theta_ij ] + alpha mean((u - sign(u))^2)
 * </pre>
 *
 * with log(1 + e^x) formed stably and sign(u) held constant.
 */
public final class PairwiseLoss {
    private PairwiseLoss() {}

    public static BatchLoss compute(float[][] u, float[][] labels, double alpha) {
        int q = BatchLoss.checkCodes(u, "pairwise loss codes");
        int n = u.length;
        if (n < 2) throw new IllegalArgumentException("pairwise loss needs at least 2 samples in a batch, got " + n);
        if (labels.length != n)
            throw new IllegalArgumentException("pairwise loss: " + labels.length + " label rows for " + n + " codes");
        double[][] grad = new double[n][q];
        double pairs = (double) n * (n - 1), total = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double theta = 0.5 * CentreLoss.dot(u[i], u[j]);
                double s = CentreLoss.dot(labels[i], labels[j]) > 0 ? 1 : 0;
                double softplus = Math.max(theta, 0) + Math.log1p(Math.exp(-Math.abs(theta)));
                total += 2 * (softplus - s * theta); // (i, j) and (j, i)
                // d/du_i of both ordered pairs: 2 * (sigmoid(theta) - s) * 0.5 u_j
                double w = (sigmoid(theta) - s) / pairs;
                for (int k = 0; k < q; k++) {
                    grad[i][k] += w * u[j][k];
                    grad[j][k] += w * u[i][k];
                }
            }
        }
        return new BatchLoss(total / pairs + Quantization.toSign(u, alpha, grad), null, grad);
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
