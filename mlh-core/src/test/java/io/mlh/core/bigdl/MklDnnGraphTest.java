package io.mlh.core.bigdl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.StaticGraph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.loss.MlhCriterion;
import io.mlh.core.model.MlhNet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The MKL-DNN form of an MLH graph computes what the plain graph computes, forward and backward. */
class MklDnnGraphTest {
    private static MlhConfig.Engine before;

    @BeforeAll
    static void engine() {
        BigDL.initLocal(2);
        before = ComputeEngine.switchForTest(MlhConfig.Engine.MKLDNN);
    }

    @AfterAll
    static void restore() {
        ComputeEngine.switchForTest(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"shared", "separate", "none"})
    void forwardAndBackwardThroughMlhCriterionMatchThePlainGraph(String moh) {
        MlhConfig c = MlhConfig.defaults().with("moh.mode", moh);
        Graph<Float> net = MlhNet.build(c);
        StaticGraph<Float> copy = ComputeEngine.forMklDnn(net);
        AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(copy);
        net.training();
        dnn.training();
        // the same parameters in the same order: what DistriOptimizer's flat weight vector relies on
        Tensor<Float>[] pp = net.parameters()._1(), pd = dnn.parameters()._1();
        assertEquals(pp.length, pd.length);
        for (int i = 0; i < pp.length; i++) assertArrayEquals(BigDL.toArray(pp[i]), BigDL.toArray(pd[i]), 0f, "parameter " + i);

        int n = 16;
        Tensor<Float> x = BigDL.tensor(n, 3, 32, 32);
        x.randn();
        float[] y = new float[n * 10];
        for (int i = 0; i < n; i++) y[i * 10 + i % 10] = 1;
        Tensor<Float> labels = BigDL.tensor(y, n, 10);
        HashCentres centres = HashCentres.generate(10, 64, 42, 0);

        double[] lossPlain = new double[1], lossDnn = new double[1];
        Table outPlain = step(net, x, labels, new MlhCriterion(c, centres, 1), lossPlain);
        Table outDnn = step(dnn, x, labels, new MlhCriterion(c, centres, 1), lossDnn);
        for (int b = 1; b <= 2; b++) {
            assertClose(BigDL.toArray(BigDL.tensorAt(outPlain, b)), BigDL.toArray(BigDL.tensorAt(outDnn, b)), 1e-5, "u" + b);
        }
        assertEquals(lossPlain[0], lossDnn[0], 1e-5 * Math.abs(lossPlain[0]));
        Tensor<Float>[] gp = net.parameters()._2(), gd = dnn.parameters()._2();
        for (int i = 0; i < gp.length; i++) assertRelativeL2(BigDL.toArray(gp[i]), BigDL.toArray(gd[i]), 1e-2, "gradient " + i);

        // weights come back into a plain graph with the same layout
        Graph<Float> other = MlhNet.build(c);
        ComputeEngine.copyWeights(dnn, other);
        Tensor<Float>[] po = other.parameters()._1();
        for (int i = 0; i < pp.length; i++) assertArrayEquals(BigDL.toArray(pp[i]), BigDL.toArray(po[i]), 0f);
    }

    private static Table step(AbstractModule<Activity, Activity, Float> m, Tensor<Float> x, Tensor<Float> labels,
                              MlhCriterion criterion, double[] loss) {
        m.zeroGradParameters();
        Table out = m.forward(x.clone()).toTable();
        loss[0] = criterion.forward(out, labels);
        m.backward(x.clone(), criterion.backward(out, labels));
        return out;
    }

    /**
     * ||a - b|| <= tol ||a||. Usually the two agree to 1e-6; in some runs MKL-DNN's gradients of the
     * first two convolutions differ by up to 5e-3 (relative), never the heads': a wrong layout, a lost
     * fan-out gradient or swapped gates would differ by order 1.
     */
    private static void assertRelativeL2(float[] a, float[] b, double tol, String what) {
        assertEquals(a.length, b.length, what);
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += a[i] * (double) a[i];
        }
        assertTrue(norm > 0, what + " is zero");
        assertTrue(Math.sqrt(diff) <= tol * Math.sqrt(norm), what + ": relative difference " + Math.sqrt(diff / norm));
    }

    /** max |a - b| <= tol * max(1, max |a|): relative to the tensor's scale (float sums differ in order). */
    private static void assertClose(float[] a, float[] b, double tol, String what) {
        assertEquals(a.length, b.length, what);
        double diff = 0, scale = 1e-12;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(diff <= tol * scale, what + ": max difference " + diff + " at scale " + scale);
    }
}
