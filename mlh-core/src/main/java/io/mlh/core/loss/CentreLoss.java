package io.mlh.core.loss;

/**
 * L_C in its softmax form. Each code is scored against every class centre by a scaled cosine,
 * s_ji = S cos(u_j, h_i) (by default S = sqrt(q), so s_ji = u_j . h_i / |u_j| as |h_i| = sqrt(q)), turned
 * into P_j = softmax(s_j), and every class is a binary decision (so multi-hot labels work):
 *
 * <pre>
 *   L_C = -(1/(N C)) sum_j sum_i [ y_ji log P_ji + (1 - y_ji) log(1 - P_ji) ] + beta mean((|u| - 1)^2)
 * </pre>
 *
 * log P and log(1 - P) are formed in log space, so neither saturates.
 */
public final class CentreLoss {
    private CentreLoss() {}

    /** L_C with the default scale S = sqrt(q). */
    public static BatchLoss compute(float[][] u, float[][] labels, float[][] centres, double beta) {
        return compute(u, labels, centres, beta, Math.sqrt(BatchLoss.checkCodes(u, "centre loss codes")));
    }

    /** L_C with logits {@code scale} x cos(u_j, h_i); the centres are ±1 vectors. */
    public static BatchLoss compute(float[][] u, float[][] labels, float[][] centres, double beta, double scale) {
        int q = BatchLoss.checkCodes(u, "centre loss codes");
        double f = scale / Math.sqrt(q); // s_ji = f u_j . h_i / |u_j|
        int n = u.length, c = centres.length;
        if (labels.length != n)
            throw new IllegalArgumentException("centre loss: " + labels.length + " label rows for " + n + " codes");
        double[] sq = BatchLoss.sumsOfSquares(u);
        double[][] grad = new double[n][q];
        double total = 0;
        double[] s = new double[c], a = new double[c], g = new double[c];
        for (int j = 0; j < n; j++) {
            if (labels[j].length != c) {
                throw new IllegalArgumentException(
                        "centre loss: label row " + j + " has " + labels[j].length + " classes, expected " + c);
            }
            double norm = Math.sqrt(sq[j] + 1e-12);
            int top = 0;
            for (int i = 0; i < c; i++) {
                s[i] = f * dot(u[j], centres[i]) / norm;
                if (s[i] > s[top]) top = i;
            }
            double m = s[top], sumExp = 0;
            for (int i = 0; i < c; i++) sumExp += Math.exp(s[i] - m);
            double lse = m + Math.log(sumExp);
            double sumA = 0;
            for (int i = 0; i < c; i++) {
                double logP = s[i] - lse;
                double logNotP = logOneMinusP(s, i, top, m, sumExp) - lse;
                double y = labels[j][i];
                total -= y * logP + (1 - y) * logNotP;
                // a_i = P_i dL/dP_i (before the 1/(NC) scale): -(y - (1 - y) P/(1 - P))
                a[i] = -(y - (1 - y) * Math.exp(logP - logNotP));
                sumA += a[i];
            }
            double gs = 0;
            for (int i = 0; i < c; i++) {
                g[i] = (a[i] - Math.exp(s[i] - lse) * sumA) / ((double) n * c); // dL/ds_ji
                gs += g[i] * s[i];
            }
            // ds_ji/du_j = f h_i/|u_j| - s_ji u_j/|u_j|^2
            for (int k = 0; k < q; k++) {
                double acc = 0;
                for (int i = 0; i < c; i++) acc += g[i] * centres[i][k];
                grad[j][k] = (f * acc - gs * u[j][k] / norm) / norm;
            }
        }
        double value = total / ((double) n * c) + Quantization.absToOne(u, beta, grad);
        return new BatchLoss(value, grad, null);
    }

    /** log sum_{k != i} exp(s_k - m): direct for the top class (no cancellation), by difference otherwise. */
    private static double logOneMinusP(double[] s, int i, int top, double m, double sumExp) {
        if (i != top) return m + Math.log(sumExp - Math.exp(s[i] - m));
        double rest = 0;
        for (int k = 0; k < s.length; k++) if (k != top) rest += Math.exp(s[k] - m);
        return m + Math.log(rest);
    }

    static double dot(float[] a, float[] b) {
        double d = 0;
        for (int k = 0; k < a.length; k++) d += (double) a[k] * b[k];
        return d;
    }
}
