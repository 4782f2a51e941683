package io.mlh.core.loss;

/**
 * The CSQ form of the centre loss: each bit is a Bernoulli prediction 0.5(u + 1) of its centre bit
 * 0.5(h + 1), scored by binary cross-entropy, plus beta mean((|u| - 1)^2). {@code targets} holds
 * each sample's own centre (for multi-label samples, the sign of the sum of its classes' centres).
 */
public final class CsqCentreLoss {
    private CsqCentreLoss() {}

    /** Keeps log() finite when tanh saturates at ±1 in float. */
    private static final double EPS = 1e-7;

    public static BatchLoss compute(float[][] u, float[][] targets, double beta) {
        int q = BatchLoss.checkCodes(u, "csq loss codes");
        int n = u.length;
        double[][] grad = new double[n][q];
        double scale = 1.0 / ((double) n * q), total = 0;
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < q; k++) {
                double p = Math.min(1 - EPS, Math.max(EPS, 0.5 * (u[j][k] + 1)));
                double t = 0.5 * (targets[j][k] + 1);
                total -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
                grad[j][k] = scale * 0.5 * (p - t) / (p * (1 - p));
            }
        }
        return new BatchLoss(scale * total + Quantization.absToOne(u, beta, grad), grad, null);
    }
}
