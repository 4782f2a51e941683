package io.mlh.core.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.loss.MutualLoss.Direction;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The BigDL criterion: its value and gradient tensors are exactly the configured combination of the
 * loss terms, its schedule picks the terms by step and epoch, and bad labels fail naming the row.
 */
class MlhCriterionTest {
    private static final int N = 6, Q = 16, C = 4;
    private final Random r = new Random(1);
    private final float[][] uc = FiniteDifferences.codes(r, N, Q), up = FiniteDifferences.codes(r, N, Q);
    private final float[][] y = FiniteDifferences.labels(r, N, C, 2);

    /** Defaults at Q bits with the softmax L_C and an unscaled lambda2, so each term's weight is the key's value. */
    private MlhConfig config(String... kv) {
        MlhConfig c = MlhConfig.defaults()
                .with("bits", Q)
                .with("classes", C)
                .with("centre.loss", "mlh")
                .with("loss.pairwise-reference-bits", 0);
        for (int i = 0; i < kv.length; i += 2) c = c.with(kv[i], kv[i + 1]);
        return c;
    }

    private HashCentres centres(MlhConfig c) {
        return HashCentres.generate(c.classes(), c.bits(), c.seed(), 0);
    }

    @Test
    void jointMlhIsTheWeightedSumOfAllThreeTerms() {
        MlhConfig c = config("loss.centre-weight", "4", "loss.pairwise-weight", "1.5", "loss.mutual-weight", "0.5");
        HashCentres h = centres(c);
        MlhCriterion crit = new MlhCriterion(c, h, 10);
        float loss = forward(crit);
        BatchLoss lc = CentreLoss.compute(uc, y, h.asMatrix(), 1e-4),
                lp = PairwiseLoss.compute(up, y, 0.1),
                lm = MutualLoss.compute(uc, up, Direction.JOINT);
        assertEquals(4 * lc.value + 1.5 * lp.value + 0.5 * lm.value, loss, 1e-5);
        assertGrad(crit, 1, combine(4, lc.gradCentre, 0.5, lm.gradCentre));
        assertGrad(crit, 2, combine(1.5, lp.gradPairwise, 0.5, lm.gradPairwise));
        assertEquals(lm.value, crit.lastTerms().mutual, 1e-12);
    }

    @Test
    void aReferenceCodeLengthScalesThePairwiseWeightByReferenceOverBits() {
        MlhConfig c = config("loss.pairwise-weight", "1.5", "loss.pairwise-reference-bits", "4"); // q = 16: 1.5 x 4/16
        HashCentres h = centres(c);
        MlhCriterion crit = new MlhCriterion(c, h, 10);
        float loss = forward(crit);
        BatchLoss lc = CentreLoss.compute(uc, y, h.asMatrix(), 1e-4),
                lp = PairwiseLoss.compute(up, y, 0.1),
                lm = MutualLoss.compute(uc, up, Direction.JOINT);
        assertEquals(4 * lc.value + 0.375 * lp.value + lm.value, loss, 1e-5);
        assertGrad(crit, 2, combine(0.375, lp.gradPairwise, 1, lm.gradPairwise));
        assertEquals(lp.value, crit.lastTerms().pairwise, 1e-12); // the term itself is reported unweighted
    }

    @Test
    void theDefaultsAreCsqsCentreLossAndLambda2TimesSixteenOverBits() {
        int q = 64;
        MlhConfig c = MlhConfig.defaults().with("bits", q).with("classes", C);
        HashCentres h = centres(c);
        Random rr = new Random(2);
        float[][] a = FiniteDifferences.codes(rr, N, q), b = FiniteDifferences.codes(rr, N, q);
        MlhCriterion crit = new MlhCriterion(c, h, 10);
        Table in = BigDL.table(BigDL.tensor(flat(a), N, q), BigDL.tensor(flat(b), N, q));
        float loss = crit.forward(in, BigDL.tensor(flat(y), N, C));
        float[][] targets = new float[N][];
        for (int j = 0; j < N; j++) targets[j] = h.targetCentre(y[j]);
        double expected = 4 * CsqCentreLoss.compute(a, targets, 1e-4).value
                + 0.25 * PairwiseLoss.compute(b, y, 0.1).value
                + MutualLoss.compute(a, b, Direction.JOINT).value;
        assertEquals(expected, loss, 1e-5);
    }

    @Test
    void alternateModeTakesTurns() {
        MlhConfig c = config("mutual.mode", "alternate");
        HashCentres h = centres(c);
        MlhCriterion crit = new MlhCriterion(c, h, 10);
        forward(crit); // step 1 (odd): centre + mutual toward pairwise, the pairwise branch is still
        BatchLoss lc = CentreLoss.compute(uc, y, h.asMatrix(), 1e-4),
                toP = MutualLoss.compute(uc, up, Direction.TOWARD_PAIRWISE);
        assertGrad(crit, 1, combine(4, lc.gradCentre, 1, toP.gradCentre));
        assertGrad(crit, 2, new double[N][Q]);
        assertTrue(Double.isNaN(crit.lastTerms().pairwise));
        forward(crit); // step 2 (even): pairwise + mutual toward centre, the centre branch is still
        BatchLoss lp = PairwiseLoss.compute(up, y, 0.1), toC = MutualLoss.compute(uc, up, Direction.TOWARD_CENTRE);
        assertGrad(crit, 1, new double[N][Q]);
        assertGrad(crit, 2, combine(1, lp.gradPairwise, 1, toC.gradPairwise));
        assertTrue(Double.isNaN(crit.lastTerms().centre));
    }

    @Test
    void warmUpTrainsTheCentreLossAloneUntilTheStartEpoch() {
        MlhConfig c = config("mutual.start-epoch", "1");
        MlhCriterion crit = new MlhCriterion(c, centres(c), 2); // 2 steps an epoch
        forward(crit);
        forward(crit);
        assertTrue(
                Double.isNaN(crit.lastTerms().pairwise) && Double.isNaN(crit.lastTerms().mutual),
                crit.lastTerms().toString());
        assertGrad(crit, 2, new double[N][Q]);
        forward(crit); // epoch 1 begins
        assertTrue(
                !Double.isNaN(crit.lastTerms().pairwise) && !Double.isNaN(crit.lastTerms().mutual),
                crit.lastTerms().toString());
        assertThrows(IllegalArgumentException.class, () -> new MlhCriterion(c, centres(c), 0));
    }

    @Test
    void baselinesTrainOnlyTheirBranch() {
        MlhConfig csq = config("method", "csq");
        HashCentres h = centres(csq);
        MlhCriterion crit = new MlhCriterion(csq, h, 10);
        float loss = forward(crit);
        float[][] targets = new float[N][];
        for (int j = 0; j < N; j++) targets[j] = h.targetCentre(y[j]);
        BatchLoss expected = CsqCentreLoss.compute(uc, targets, 1e-4);
        assertEquals(4 * expected.value, loss, 1e-5);
        assertGrad(crit, 1, combine(4, expected.gradCentre, 0, null));
        assertGrad(crit, 2, new double[N][Q]);

        MlhConfig dpsh = config("method", "dpsh");
        MlhCriterion pairwise = new MlhCriterion(dpsh, centres(dpsh), 10);
        assertEquals(PairwiseLoss.compute(up, y, 0.1).value, forward(pairwise), 1e-5);
        assertGrad(pairwise, 1, new double[N][Q]);

        MlhConfig mds = config("method", "mds");
        assertEquals(
                4 * CentreLoss.compute(uc, y, h.asMatrix(), 1e-4).value, forward(new MlhCriterion(mds, h, 10)), 1e-5);
    }

    @Test
    void badLabelsFailNamingTheRow() {
        MlhConfig c = config();
        MlhCriterion crit = new MlhCriterion(c, centres(c), 10);
        float[][] bad = new float[N][C];
        for (int j = 0; j < N; j++) bad[j][0] = 1;
        bad[3][0] = 0; // row 3 has no class
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> crit.forward(input(), BigDL.tensor(flat(bad), N, C)));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> crit.forward(input(), BigDL.tensor(new float[N * (C + 1)], N, C + 1)));
        assertThrows(IllegalArgumentException.class, () -> new MlhCriterion(c, HashCentres.generate(C, 32, 1, 0), 10));
    }

    private float forward(MlhCriterion crit) {
        Table in = input();
        Tensor<Float> target = BigDL.tensor(flat(y), N, C);
        float loss = crit.forward(in, target);
        crit.backward(in, target);
        return loss;
    }

    private Table input() {
        return BigDL.table(BigDL.tensor(flat(uc), N, Q), BigDL.tensor(flat(up), N, Q));
    }

    private static void assertGrad(MlhCriterion crit, int branch, double[][] expected) {
        float[] g = BigDL.toArray(BigDL.tensorAt(crit.gradInput(), branch));
        for (int j = 0; j < N; j++) {
            for (int k = 0; k < Q; k++) {
                assertEquals(
                        expected[j][k],
                        g[j * Q + k],
                        1e-6 + 1e-5 * Math.abs(expected[j][k]),
                        "branch " + branch + " [" + j + "][" + k + "]");
            }
        }
    }

    private static double[][] combine(double a, double[][] x, double b, double[][] z) {
        double[][] out = new double[N][Q];
        for (int j = 0; j < N; j++) {
            for (int k = 0; k < Q; k++) out[j][k] = a * x[j][k] + (z == null ? 0 : b * z[j][k]);
        }
        return out;
    }

    private static float[] flat(float[][] m) {
        float[] f = new float[m.length * m[0].length];
        for (int j = 0; j < m.length; j++) System.arraycopy(m[j], 0, f, j * m[0].length, m[0].length);
        return f;
    }
}
