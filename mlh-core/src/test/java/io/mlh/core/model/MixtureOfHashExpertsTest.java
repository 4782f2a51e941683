package io.mlh.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig.MohMode;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The MoH heads: finite-difference checks of BigDL's backward pass through the gates and experts
 * (input and every parameter), and the forward pass against the formula u_b = tanh(sum_k g_bk e_k).
 */
class MixtureOfHashExpertsTest {
    private static final int N = 4, D = 6, Q = 8, K = 3;

    @BeforeAll
    static void engine() {
        BigDL.initLocal(1);
    }

    @ParameterizedTest(name = "{0}, top-k {1}")
    @CsvSource({"SHARED, 3", "SEPARATE, 3", "NONE, 3", "SHARED, 2", "SEPARATE, 2"})
    void backwardMatchesFiniteDifferences(MohMode mode, int topK) {
        BigDL.seedWeights(mode.ordinal() + 10L * topK); // the same weights whatever ran before
        Graph<Float> net = MixtureOfHashExperts.standalone(D, Q, mode, K, topK);
        Random r = new Random(mode.ordinal() + 10L * topK);
        float[] x = gaussian(r, N * D, 1.0);
        float[] wc = gaussian(r, N * Q, 1.0), wp = gaussian(r, N * Q, 1.0);

        // f = <wc, u_c> + <wp, u_p>: its gradient w.r.t. the outputs is (wc, wp)
        Tensor<Float> in = BigDL.tensor(x.clone(), N, D);
        net.zeroGradParameters();
        net.forward(in);
        Tensor<Float> gradIn =
                (Tensor<Float>) net.backward(in, BigDL.table(BigDL.tensor(wc, N, Q), BigDL.tensor(wp, N, Q)))
                        .toTensor(BigDL.NUM);
        float[] analyticInput = BigDL.toArray(gradIn);
        scala.Tuple2<Tensor<Float>, Tensor<Float>> p = net.getParameters();
        float[] weights = BigDL.toArray(p._1()), analyticParams = BigDL.toArray(p._2());

        String kept = keptExperts(net, mode);
        double eps = 1e-2;
        int skipped = 0;
        float[] xs = x.clone();
        for (int i = 0; i < xs.length; i++) {
            float orig = xs[i];
            xs[i] = (float) (orig + eps);
            double up = objective(net, xs, wc, wp);
            boolean same = keptExperts(net, mode).equals(kept);
            xs[i] = (float) (orig - eps);
            double down = objective(net, xs, wc, wp);
            same &= keptExperts(net, mode).equals(kept);
            xs[i] = orig;
            if (!same) skipped++; // a step across a change of the kept experts: no derivative to compare
            else assertClose(analyticInput[i], (up - down) / (2 * eps), mode + " top-" + topK + " input " + i);
        }
        Tensor<Float> w = p._1();
        for (int i = 0; i < weights.length; i++) {
            w.storage().update(w.storageOffset() - 1 + i, (float) (weights[i] + eps));
            double up = objective(net, x, wc, wp);
            boolean same = keptExperts(net, mode).equals(kept);
            w.storage().update(w.storageOffset() - 1 + i, (float) (weights[i] - eps));
            double down = objective(net, x, wc, wp);
            same &= keptExperts(net, mode).equals(kept);
            w.storage().update(w.storageOffset() - 1 + i, weights[i]);
            if (!same) skipped++;
            else assertClose(analyticParams[i], (up - down) / (2 * eps), mode + " top-" + topK + " parameter " + i);
        }
        assertTrue(skipped <= (xs.length + weights.length) / 20, skipped + " steps changed the kept experts");
    }

    /** Which gate weights the last forward pass kept (non-zero), both branches; "" without gates. */
    private static String keptExperts(Graph<Float> net, MohMode mode) {
        if (mode == MohMode.NONE) return "";
        StringBuilder b = new StringBuilder();
        for (String branch : new String[] {MixtureOfHashExperts.CENTRE, MixtureOfHashExperts.PAIRWISE})
            for (float g : BigDL.toArray((Tensor<Float>)
                    layer(net, branch + MixtureOfHashExperts.GATE_WEIGHTS).output())) b.append(g != 0 ? '1' : '0');
        return b.toString();
    }

    /** Each branch has its own gate: a loss on u_c alone leaves the pairwise gate untouched. */
    @Test
    void eachGateOnlyLearnsFromItsBranch() {
        Graph<Float> net = MixtureOfHashExperts.standalone(D, Q, MohMode.SHARED, K, K);
        Tensor<Float> in = BigDL.tensor(gaussian(new Random(3), N * D, 1.0), N, D);
        net.zeroGradParameters();
        net.forward(in);
        net.backward(
                in,
                BigDL.table(
                        BigDL.tensor(gaussian(new Random(4), N * Q, 1.0), N, Q), BigDL.tensor(new float[N * Q], N, Q)));
        assertTrue(maxAbs(gradOf(net, "pairwise-gate")) == 0, "pairwise gate got a gradient from the centre branch");
        assertTrue(maxAbs(gradOf(net, "centre-gate")) > 0);
        assertTrue(maxAbs(gradOf(net, "experts")) > 0);
    }

    @Test
    void forwardIsTheGatedMixtureOfExperts() {
        Graph<Float> net = MixtureOfHashExperts.standalone(D, Q, MohMode.SHARED, K, K);
        float[] x = gaussian(new Random(9), N * D, 1.0);
        Table out = net.forward(BigDL.tensor(x, N, D)).toTable();
        float[][] uc = BigDL.toMatrix(BigDL.tensorAt(out, 1));
        float[] e = weightsOf(net, "experts", 0), eb = weightsOf(net, "experts", 1); // (K*Q) x D, K*Q
        float[] g = weightsOf(net, "centre-gate", 0), gb = weightsOf(net, "centre-gate", 1); // K x D, K
        for (int n = 0; n < N; n++) {
            double[] gate = new double[K];
            double z = 0;
            for (int k = 0; k < K; k++) {
                gate[k] = gb[k];
                for (int i = 0; i < D; i++) gate[k] += g[k * D + i] * x[n * D + i];
            }
            double max = java.util.Arrays.stream(gate).max().getAsDouble();
            for (int k = 0; k < K; k++) z += (gate[k] = Math.exp(gate[k] - max));
            for (int b = 0; b < Q; b++) {
                double mix = 0;
                for (int k = 0; k < K; k++) {
                    double ek = eb[k * Q + b];
                    for (int i = 0; i < D; i++) ek += e[(k * Q + b) * D + i] * x[n * D + i];
                    mix += gate[k] / z * ek;
                }
                assertEquals(Math.tanh(mix), uc[n][b], 1e-5, "u_c[" + n + "][" + b + "]");
            }
        }
        assertArrayEquals(new int[] {N, Q}, BigDL.tensorAt(out, 2).size());
    }

    /**
     * A top-k gate keeps each row's k largest softmax weights, renormalised: the same ones as the dense
     * gate's, in the same proportions, and the mixture uses those weights.
     */
    @Test
    void aTopKGateKeepsTheLargestWeightsRenormalised() {
        Graph<Float> dense = MixtureOfHashExperts.standalone(D, Q, MohMode.SHARED, K, K),
                sparse = MixtureOfHashExperts.standalone(D, Q, MohMode.SHARED, K, 2);
        sparse.getParameters()._1().copy(dense.getParameters()._1());
        Tensor<Float> in = BigDL.tensor(gaussian(new Random(12), N * D, 1.0), N, D);
        dense.forward(in);
        sparse.forward(in);
        for (String branch : new String[] {MixtureOfHashExperts.CENTRE, MixtureOfHashExperts.PAIRWISE}) {
            String gate = branch + MixtureOfHashExperts.GATE_WEIGHTS;
            float[][] p = BigDL.toMatrix((Tensor<Float>) layer(dense, gate).output()),
                    g = BigDL.toMatrix((Tensor<Float>) layer(sparse, gate).output());
            for (int n = 0; n < N; n++) {
                float[] sorted = p[n].clone();
                java.util.Arrays.sort(sorted);
                double kept = sorted[K - 1] + sorted[K - 2], sum = 0;
                int nonZero = 0;
                for (int k = 0; k < K; k++) {
                    boolean large = p[n][k] >= sorted[K - 2];
                    assertEquals(large ? p[n][k] / kept : 0, g[n][k], 1e-6, branch + " row " + n + " weight " + k);
                    nonZero += g[n][k] > 0 ? 1 : 0;
                    sum += g[n][k];
                }
                assertEquals(2, nonZero, branch + " row " + n);
                assertEquals(1, sum, 1e-6, branch + " row " + n);
            }
        }
    }

    /** A model with top-k gates and both terms saves and loads through BigDL's own format, answering the same. */
    @Test
    void aTopKGateSavesAndLoads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Graph<Float> net =
                MixtureOfHashExperts.standalone(D, Q, new MixtureOfHashExperts.Spec(MohMode.SHARED, K, 2, 0.5, 0.3));
        float[] x = gaussian(new Random(13), N * D, 1.0);
        float[] before = BigDL.toArray(
                BigDL.tensorAt(net.forward(BigDL.tensor(x.clone(), N, D)).toTable(), 1));
        String file = dir.resolve("moh.bigdl").toString();
        net.saveModule(file, null, true); // clears the graph's state, its input tensor included
        AbstractModule<Activity, Activity, Float> loaded = BigDL.loadModule(file);
        float[] after = BigDL.toArray(
                BigDL.tensorAt(loaded.forward(BigDL.tensor(x, N, D)).toTable(), 1));
        assertArrayEquals(before, after, 0f);
        AbstractModule<?, ?, Float> gate = loaded.apply(MixtureOfHashExperts.CENTRE + MixtureOfHashExperts.GATE_WEIGHTS)
                .get();
        assertEquals(2, ((TopKGate) gate).k());
        assertEquals(
                "GateBalance(0.5)",
                loaded.apply(MixtureOfHashExperts.CENTRE + MixtureOfHashExperts.BALANCE)
                        .get()
                        .toString());
        assertEquals(
                "ExpertDiversity(0.3)",
                loaded.apply("experts" + MixtureOfHashExperts.DIVERSITY).get().toString());
    }

    /** Each term's gradient (its layer's backward with no gradient from above) against finite differences of its value. */
    @Test
    void theBalanceAndDiversityGradientsMatchFiniteDifferences() {
        Random r = new Random(21);
        double w = 0.7, eps = 1e-3;
        float[] g = new float[N * K];
        for (int i = 0; i < N * K; i++) g[i] = (float) (0.1 + r.nextDouble());
        GateBalance balance = new GateBalance(w);
        Tensor<Float> gt = BigDL.tensor(g.clone(), N, K);
        balance.forward(gt);
        float[] analytic = BigDL.toArray(balance.backward(gt, BigDL.tensor(new float[N * K], N, K)));
        for (int i = 0; i < g.length; i++) {
            float[] up = g.clone(), down = g.clone();
            up[i] += eps;
            down[i] -= eps;
            double numeric = w * (GateBalance.penalty(up, N, K) - GateBalance.penalty(down, N, K)) / (2 * eps);
            assertClose(analytic[i], numeric, "balance " + i);
        }
        float[] e = gaussian(r, N * K * Q, 1.0);
        ExpertDiversity diversity = new ExpertDiversity(w);
        Tensor<Float> et = BigDL.tensor(e.clone(), N, K, Q);
        diversity.forward(et);
        analytic = BigDL.toArray(diversity.backward(et, BigDL.tensor(new float[N * K * Q], N, K, Q)));
        for (int i = 0; i < e.length; i++) {
            float[] up = e.clone(), down = e.clone();
            up[i] += eps;
            down[i] -= eps;
            double numeric = w
                    * (ExpertDiversity.penalty(up, N, K, Q, null) - ExpertDiversity.penalty(down, N, K, Q, null))
                    / (2 * eps);
            assertClose(analytic[i], numeric, "diversity " + i);
        }
    }

    /** The terms' values where they are known: even loads and orthogonal experts 0, parallel experts 1. */
    @Test
    void theBalanceAndDiversityTermsAreZeroWhereTheyShouldBe() {
        // two images with opposite weights: each expert's load is 0.5
        assertEquals(0, GateBalance.penalty(new float[] {0.9f, 0.1f, 0.1f, 0.9f}, 2, 2), 1e-12);
        // every image on expert 0: loads (1, 0), var 0.25 / mean^2 0.25
        assertEquals(1, GateBalance.penalty(new float[] {1, 0, 1, 0}, 2, 2), 1e-12);
        assertEquals(0, ExpertDiversity.penalty(new float[] {1, 0, 0, 1}, 1, 2, 2, null), 1e-9);
        assertEquals(1, ExpertDiversity.penalty(new float[] {1, 2, -2, -4}, 1, 2, 2, null), 1e-9);
    }

    /**
     * The heads with both terms on: the backward pass against finite differences of the outputs'
     * objective plus the terms' weighted values, computed from the layers' own outputs.
     */
    @ParameterizedTest(name = "{0}, top-k {1}")
    @CsvSource({"SHARED, 2", "SEPARATE, 3"})
    void theHeadsWithBalanceAndDiversityMatchFiniteDifferences(MohMode mode, int topK) {
        double wb = 0.5, wd = 0.3;
        BigDL.seedWeights(41 + topK);
        Graph<Float> net = MixtureOfHashExperts.standalone(D, Q, new MixtureOfHashExperts.Spec(mode, K, topK, wb, wd));
        Random r = new Random(31 + topK);
        float[] x = gaussian(r, N * D, 1.0), wc = gaussian(r, N * Q, 1.0), wp = gaussian(r, N * Q, 1.0);
        Tensor<Float> in = BigDL.tensor(x.clone(), N, D);
        net.zeroGradParameters();
        net.forward(in);
        net.backward(in, BigDL.table(BigDL.tensor(wc, N, Q), BigDL.tensor(wp, N, Q)));
        scala.Tuple2<Tensor<Float>, Tensor<Float>> p = net.getParameters();
        float[] weights = BigDL.toArray(p._1()), analytic = BigDL.toArray(p._2());
        String[] banks = mode == MohMode.SHARED
                ? new String[] {"experts"}
                : new String[] {MixtureOfHashExperts.CENTRE + "-experts", MixtureOfHashExperts.PAIRWISE + "-experts"};
        String kept = keptExperts(net, mode);
        double eps = 1e-2;
        int skipped = 0;
        Tensor<Float> w = p._1();
        for (int i = 0; i < weights.length; i++) {
            w.storage().update(w.storageOffset() - 1 + i, (float) (weights[i] + eps));
            double up = objectiveWithTerms(net, x, wc, wp, wb, wd, banks);
            boolean same = keptExperts(net, mode).equals(kept);
            w.storage().update(w.storageOffset() - 1 + i, (float) (weights[i] - eps));
            double down = objectiveWithTerms(net, x, wc, wp, wb, wd, banks);
            same &= keptExperts(net, mode).equals(kept);
            w.storage().update(w.storageOffset() - 1 + i, weights[i]);
            if (!same) skipped++;
            else assertClose(analytic[i], (up - down) / (2 * eps), mode + " parameter " + i);
        }
        assertTrue(skipped <= weights.length / 20, skipped + " steps changed the kept experts");
    }

    private static double objectiveWithTerms(
            Graph<Float> net, float[] x, float[] wc, float[] wp, double wb, double wd, String[] banks) {
        double f = objective(net, x, wc, wp);
        for (String branch : new String[] {MixtureOfHashExperts.CENTRE, MixtureOfHashExperts.PAIRWISE}) {
            float[] g = BigDL.toArray((Tensor<Float>)
                    layer(net, branch + MixtureOfHashExperts.GATE_WEIGHTS).output());
            f += wb * GateBalance.penalty(g, N, K);
        }
        for (String bank : banks) {
            float[] e = BigDL.toArray((Tensor<Float>)
                    layer(net, bank + MixtureOfHashExperts.DIVERSITY).output());
            f += wd * ExpertDiversity.penalty(e, N, K, Q, null);
        }
        return f;
    }

    /** A batch of one keeps its batch dimension through the reshapes. */
    @Test
    void batchOfOne() {
        Graph<Float> net = MixtureOfHashExperts.standalone(D, Q, MohMode.SHARED, K, K);
        Table out = net.forward(BigDL.tensor(new float[D], 1, D)).toTable();
        assertArrayEquals(new int[] {1, Q}, BigDL.tensorAt(out, 1).size());
    }

    private static double objective(Graph<Float> net, float[] x, float[] wc, float[] wp) {
        Table out = net.forward(BigDL.tensor(x.clone(), N, D)).toTable();
        float[] uc = BigDL.toArray(BigDL.tensorAt(out, 1)), up = BigDL.toArray(BigDL.tensorAt(out, 2));
        double f = 0;
        for (int i = 0; i < uc.length; i++) f += (double) wc[i] * uc[i] + (double) wp[i] * up[i];
        return f;
    }

    private static void assertClose(double analytic, double numeric, String what) {
        double tol = 2e-3 * Math.max(1, Math.abs(numeric));
        assertTrue(Math.abs(analytic - numeric) <= tol, what + ": analytic " + analytic + " vs numeric " + numeric);
    }

    @SuppressWarnings("unchecked")
    private static AbstractModule<Activity, Activity, Float> layer(Graph<Float> net, String name) {
        return (AbstractModule<Activity, Activity, Float>) net.apply(name).get();
    }

    private static float[] gradOf(Graph<Float> net, String name) {
        return BigDL.toArray(layer(net, name).parameters()._2()[0]);
    }

    private static float[] weightsOf(Graph<Float> net, String name, int which) {
        return BigDL.toArray(layer(net, name).parameters()._1()[which]);
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * r.nextGaussian());
        return a;
    }
}
