package io.mlh.core.loss;

import static io.mlh.core.loss.FiniteDifferences.assertClose;
import static io.mlh.core.loss.FiniteDifferences.codes;
import static io.mlh.core.loss.FiniteDifferences.gradient;
import static io.mlh.core.loss.FiniteDifferences.labels;
import static io.mlh.core.loss.FiniteDifferences.signs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.loss.MutualLoss.Direction;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Values against literal formulas, gradients against finite differences, for L_C, CSQ, L_P, L_M. */
class LossTermsTest {
    private static final double EPS = 1e-3, TOL = 2e-4;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void centreLossMatchesItsFormulaAndFiniteDifferences(int seed) {
        Random r = new Random(seed);
        int n = 6, q = 16, c = 5;
        float[][] u = codes(r, n, q), y = labels(r, n, c, seed), h = signs(r, c, q);
        double beta = 0.05; // large enough that the quantisation gradient is visible in the check
        BatchLoss l = CentreLoss.compute(u, y, h, beta);
        assertEquals(literalCentreLoss(u, y, h, beta), l.value, 1e-8);
        assertNull(l.gradPairwise);
        assertClose(l.gradCentre, gradient(x -> CentreLoss.compute(x, y, h, beta).value, u, EPS), TOL, "L_C");
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.5, 4, 10})
    void centreLossWithAnyScaleMatchesItsFormulaAndFiniteDifferences(double scale) {
        Random r = new Random(5);
        int n = 5, q = 16, c = 4;
        float[][] u = codes(r, n, q), y = labels(r, n, c, 1), h = signs(r, c, q);
        BatchLoss l = CentreLoss.compute(u, y, h, 0.05, scale);
        assertEquals(literalCentreLoss(u, y, h, 0.05, scale), l.value, 1e-8);
        assertClose(
                l.gradCentre,
                gradient(x -> CentreLoss.compute(x, y, h, 0.05, scale).value, u, EPS),
                TOL,
                "L_C, scale " + scale);
        // scale sqrt(q) is the default
        assertEquals(CentreLoss.compute(u, y, h, 0.05).value, CentreLoss.compute(u, y, h, 0.05, 4).value, 1e-12);
    }

    @Test
    void centreLossStaysFiniteWhenCodesSitOnTheirCentre() {
        int q = 1024, c = 100;
        Random r = new Random(7);
        float[][] h = signs(r, c, q);
        float[][] u = {h[3].clone()};
        float[][] y = new float[1][c];
        y[0][3] = 1;
        BatchLoss l = CentreLoss.compute(u, y, h, 1e-4);
        assertTrue(Double.isFinite(l.value) && l.value >= 0, "loss " + l.value);
        for (double g : l.gradCentre[0]) assertTrue(Double.isFinite(g));
        y[0][3] = 0; // a confidently wrong prediction: large but finite
        y[0][4] = 1;
        BatchLoss wrong = CentreLoss.compute(u, y, h, 1e-4);
        assertTrue(Double.isFinite(wrong.value) && wrong.value > l.value);
    }

    @Test
    void csqLossMatchesItsFormulaAndFiniteDifferences() {
        Random r = new Random(11);
        float[][] u = codes(r, 5, 24), t = signs(r, 5, 24);
        BatchLoss l = CsqCentreLoss.compute(u, t, 0.05);
        double literal = 0;
        for (int j = 0; j < 5; j++) {
            for (int k = 0; k < 24; k++) {
                double p = 0.5 * (u[j][k] + 1), tt = 0.5 * (t[j][k] + 1);
                literal += -(tt * Math.log(p) + (1 - tt) * Math.log(1 - p)) / 120
                        + 0.05 * Math.pow(Math.abs(u[j][k]) - 1, 2) / 120;
            }
        }
        assertEquals(literal, l.value, 1e-8);
        assertClose(l.gradCentre, gradient(x -> CsqCentreLoss.compute(x, t, 0.05).value, u, EPS), TOL, "CSQ");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 8})
    void pairwiseLossMatchesItsFormulaAndFiniteDifferences(int n) {
        Random r = new Random(n);
        int q = 12;
        float[][] u = codes(r, n, q), y = labels(r, n, 4, 2);
        // spread the codes so theta covers both signs and large magnitudes
        for (float[] row : u) for (int k = 0; k < q; k++) row[k] *= 0.95f;
        BatchLoss l = PairwiseLoss.compute(u, y, 0.1);
        double literal = 0, quant = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == j) continue;
                double theta = 0.5 * CentreLoss.dot(u[i], u[j]);
                double s = CentreLoss.dot(y[i], y[j]) > 0 ? 1 : 0;
                literal += (Math.log(1 + Math.exp(theta)) - s * theta) / (n * (n - 1.0));
            }
            for (int k = 0; k < q; k++) quant += 0.1 * Math.pow(u[i][k] - (u[i][k] >= 0 ? 1 : -1), 2) / (n * q);
        }
        assertEquals(literal + quant, l.value, 1e-8);
        assertNull(l.gradCentre);
        assertClose(l.gradPairwise, gradient(x -> PairwiseLoss.compute(x, y, 0.1).value, u, EPS), TOL, "L_P");
    }

    @Test
    void pairwiseLossIsStableForHugeInnerProducts() {
        float[][] u = new float[2][1024];
        for (float[] row : u) java.util.Arrays.fill(row, 1f); // theta = 512
        float[][] dissimilar = {{1, 0}, {0, 1}};
        BatchLoss l = PairwiseLoss.compute(u, dissimilar, 0);
        assertEquals(512, l.value, 1e-9); // log(1 + e^512) - 0 = 512 + log1p(e^-512)
        assertThrows(IllegalArgumentException.class, () -> PairwiseLoss.compute(new float[1][8], new float[1][2], 0));
    }

    /**
     * With sg() frozen, "toward pairwise" is a function of u_c alone and "toward centre" of u_p alone;
     * joint is their average, so its gradient on each branch is half the full derivative of mean(1 - cos).
     */
    @Test
    void mutualLossGradientsFollowTheStopGradients() {
        Random r = new Random(5);
        float[][] uc = codes(r, 4, 16), up = codes(r, 4, 16);
        double[][] dValueDc = gradient(x -> MutualLoss.compute(x, up, Direction.JOINT).value, uc, EPS);
        double[][] dValueDp = gradient(x -> MutualLoss.compute(uc, x, Direction.JOINT).value, up, EPS);

        BatchLoss towardPairwise = MutualLoss.compute(uc, up, Direction.TOWARD_PAIRWISE);
        assertNull(towardPairwise.gradPairwise);
        assertClose(towardPairwise.gradCentre, dValueDc, TOL, "L_M toward pairwise");

        BatchLoss towardCentre = MutualLoss.compute(uc, up, Direction.TOWARD_CENTRE);
        assertNull(towardCentre.gradCentre);
        assertClose(towardCentre.gradPairwise, dValueDp, TOL, "L_M toward centre");

        BatchLoss joint = MutualLoss.compute(uc, up, Direction.JOINT);
        assertEquals(towardCentre.value, joint.value, 1e-12);
        assertClose(joint.gradCentre, FiniteDifferences.scaled(dValueDc, 0.5), TOL, "L_M joint, centre side");
        assertClose(joint.gradPairwise, FiniteDifferences.scaled(dValueDp, 0.5), TOL, "L_M joint, pairwise side");

        double literal = 0;
        for (int j = 0; j < 4; j++) {
            double cos = CentreLoss.dot(uc[j], up[j])
                    / Math.sqrt(CentreLoss.dot(uc[j], uc[j]) * CentreLoss.dot(up[j], up[j]));
            literal += (1 - cos) / 4;
        }
        assertEquals(literal, joint.value, 1e-9);
        assertEquals(0, MutualLoss.compute(uc, uc, Direction.JOINT).value, 1e-7);
    }

    private static double literalCentreLoss(float[][] u, float[][] y, float[][] h, double beta) {
        return literalCentreLoss(u, y, h, beta, Math.sqrt(u[0].length));
    }

    private static double literalCentreLoss(float[][] u, float[][] y, float[][] h, double beta, double scale) {
        int n = u.length, c = h.length, q = u[0].length;
        double total = 0;
        for (int j = 0; j < n; j++) {
            double[] p = new double[c];
            double z = 0;
            for (int i = 0; i < c; i++) {
                double cos =
                        CentreLoss.dot(u[j], h[i]) / Math.sqrt(CentreLoss.dot(u[j], u[j]) * CentreLoss.dot(h[i], h[i]));
                p[i] = Math.exp(scale * cos);
                z += p[i];
            }
            for (int i = 0; i < c; i++) {
                p[i] /= z;
                total -= (y[j][i] * Math.log(p[i]) + (1 - y[j][i]) * Math.log(1 - p[i])) / (n * c);
            }
            for (int k = 0; k < q; k++) total += beta * Math.pow(Math.abs(u[j][k]) - 1, 2) / (n * q);
        }
        return total;
    }

    @Test
    void theLogLineGivesTheMohTermsAfterTheCriterionsInTheirOrder() {
        LossTerms t = new LossTerms(3, 0.5, 0.25, 0.125, 1.5);
        assertEquals("L=1.5000 L_C=0.5000 L_P=0.2500 L_M=0.1250", t.values());
        java.util.Map<String, Double> moh = new java.util.LinkedHashMap<>();
        moh.put("B_c", 0.02);
        moh.put("B_p", 0.5);
        moh.put("D", 0.25);
        assertEquals(
                "L=1.5000 L_C=0.5000 L_P=0.2500 L_M=0.1250 B_c=0.0200 B_p=0.5000 D=0.2500",
                t.withMoh(moh).values());
        assertEquals(3, t.withMoh(moh).step);
    }
}
