package io.mlh.core.loss;

/**
 * A loss term's value on one batch and its gradient with respect to each branch's codes
 * (N x q; {@code null} where the term does not touch that branch). Computed in double precision:
 * the terms are cheap next to the backbone and double keeps the log-space maths honest.
 */
public final class BatchLoss {
    public final double value;
    public final double[][] gradCentre;
    public final double[][] gradPairwise;

    BatchLoss(double value, double[][] gradCentre, double[][] gradPairwise) {
        this.value = value;
        this.gradCentre = gradCentre;
        this.gradPairwise = gradPairwise;
    }

    static double[] sumsOfSquares(float[][] u) {
        double[] s = new double[u.length];
        for (int j = 0; j < u.length; j++) {
            for (float x : u[j]) s[j] += (double) x * x;
        }
        return s;
    }

    /** Checks that codes form a non-empty N x q matrix. */
    static int checkCodes(float[][] u, String what) {
        if (u.length == 0) throw new IllegalArgumentException(what + ": empty batch");
        int q = u[0].length;
        for (int j = 0; j < u.length; j++) {
            if (u[j].length != q) {
                throw new IllegalArgumentException(
                        what + ": row " + j + " has " + u[j].length + " bits, expected " + q);
            }
        }
        return q;
    }
}
