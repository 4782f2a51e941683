package io.mlh.core.loss;

/**
 * L_M, the mutual loss between the branches. With sg() a stop-gradient:
 *
 * <pre>
 *   toward pairwise (moves u_c):  mean_j 1 - cos(u_c_j, sg(u_p_j))
 *   toward centre   (moves u_p):  mean_j 1 - cos(sg(u_c_j), u_p_j)
 *   joint:                         the average of the two
 * </pre>
 *
 * so each branch is pulled toward the other's current code and never drags it along.
 */
public final class MutualLoss {
    private MutualLoss() {}

    public enum Direction {
        JOINT,
        TOWARD_PAIRWISE,
        TOWARD_CENTRE
    }

    public static BatchLoss compute(float[][] uc, float[][] up, Direction direction) {
        int q = BatchLoss.checkCodes(uc, "mutual loss centre codes");
        if (BatchLoss.checkCodes(up, "mutual loss pairwise codes") != q || up.length != uc.length) {
            throw new IllegalArgumentException("mutual loss: branch codes differ in shape");
        }
        int n = uc.length;
        boolean moveCentre = direction != Direction.TOWARD_CENTRE,
                movePairwise = direction != Direction.TOWARD_PAIRWISE;
        double w = (direction == Direction.JOINT ? 0.5 : 1.0) / n;
        double[][] gc = moveCentre ? new double[n][q] : null, gp = movePairwise ? new double[n][q] : null;
        double total = 0;
        for (int j = 0; j < n; j++) {
            double na = Math.sqrt(squares(uc[j]) + 1e-12), nb = Math.sqrt(squares(up[j]) + 1e-12);
            double cos = CentreLoss.dot(uc[j], up[j]) / (na * nb);
            total += 1 - cos;
            // d cos(a, b)/da = b/(|a||b|) - cos a/|a|^2
            for (int k = 0; k < q; k++) {
                if (moveCentre) gc[j][k] = -w * (up[j][k] / (na * nb) - cos * uc[j][k] / (na * na));
                if (movePairwise) gp[j][k] = -w * (uc[j][k] / (na * nb) - cos * up[j][k] / (nb * nb));
            }
        }
        return new BatchLoss(total / n, gc, gp);
    }

    private static double squares(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return s;
    }
}
