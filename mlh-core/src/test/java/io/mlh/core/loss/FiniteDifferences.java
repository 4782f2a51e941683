package io.mlh.core.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/** Central finite differences over float inputs, for checking hand-written gradients. */
final class FiniteDifferences {
    private FiniteDifferences() {}

    /** d f / d x[j][k] for every entry, stepping by the exact float-representable perturbation. */
    static double[][] gradient(ToDoubleFunction<float[][]> f, float[][] x, double eps) {
        double[][] g = new double[x.length][x[0].length];
        for (int j = 0; j < x.length; j++) {
            for (int k = 0; k < x[j].length; k++) {
                float orig = x[j][k];
                float up = (float) (orig + eps), down = (float) (orig - eps);
                x[j][k] = up;
                double fUp = f.applyAsDouble(x);
                x[j][k] = down;
                double fDown = f.applyAsDouble(x);
                x[j][k] = orig;
                g[j][k] = (fUp - fDown) / ((double) up - down);
            }
        }
        return g;
    }

    /** Asserts |a - n| <= tol * max(1, max|n|) entry-wise, naming the first offending entry. */
    static void assertClose(double[][] analytic, double[][] numeric, double tol, String what) {
        double scale = 1e-12;
        for (double[] r : numeric) for (double v : r) scale = Math.max(scale, Math.abs(v));
        for (int j = 0; j < numeric.length; j++) {
            for (int k = 0; k < numeric[j].length; k++) {
                double err = Math.abs(analytic[j][k] - numeric[j][k]);
                assertTrue(
                        err <= tol * scale,
                        String.format(
                                "%s: gradient [%d][%d] analytic %.6g vs numeric %.6g (max |g| %.3g)",
                                what, j, k, analytic[j][k], numeric[j][k], scale));
            }
        }
    }

    /**
     * Codes inside (-0.9, 0.9), as tanh outputs are, and away from 0 where |u| has its kink, so a
     * central difference of step 1e-3 never straddles a non-smooth point or a steep log.
     */
    static float[][] codes(Random r, int n, int q) {
        float[][] u = new float[n][q];
        for (float[] row : u) {
            for (int k = 0; k < q; k++) {
                double x;
                do {
                    x = 0.9 * Math.tanh(r.nextGaussian());
                } while (Math.abs(x) < 0.01);
                row[k] = (float) x;
            }
        }
        return u;
    }

    /** Multi-hot labels with 1..maxPositives classes a row. */
    static float[][] labels(Random r, int n, int classes, int maxPositives) {
        float[][] y = new float[n][classes];
        for (float[] row : y) {
            int p = 1 + r.nextInt(maxPositives);
            for (int i = 0; i < p; i++) row[r.nextInt(classes)] = 1;
        }
        return y;
    }

    static float[][] signs(Random r, int n, int q) {
        float[][] h = new float[n][q];
        for (float[] row : h) for (int k = 0; k < q; k++) row[k] = r.nextBoolean() ? 1 : -1;
        return h;
    }

    static double[][] scaled(double[][] g, double s) {
        double[][] out = new double[g.length][];
        for (int j = 0; j < g.length; j++) {
            out[j] = g[j].clone();
            for (int k = 0; k < out[j].length; k++) out[j][k] *= s;
        }
        return out;
    }
}
