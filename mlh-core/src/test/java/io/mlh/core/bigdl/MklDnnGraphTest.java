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
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MKL-DNN form of an MLH graph computes what the plain graph computes, forward and backward, and
 * what it learns (weights and batch-norm statistics) comes back into the plain graph.
 */
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

    /**
     * The MoH modes on vgg-small (shared also with top-2 gates, "shared:2", and with the balance and
     * diversity terms weighted 0.5 and 0.3, "shared:2:0.5:0.3"), and the batch-norm
     * backbones (MoH shared): 32 px vgg-small-bn, 224 px resnet-18.
     */
    static Stream<Arguments> graphs() {
        return Stream.of(
                Arguments.of("vgg-small", "shared", 32, 16),
                Arguments.of("vgg-small", "shared:2", 32, 16),
                Arguments.of("vgg-small", "shared:2:0.5:0.3", 32, 16),
                Arguments.of("vgg-small", "separate", 32, 16),
                Arguments.of("vgg-small", "none", 32, 16),
                Arguments.of("vgg-small-bn", "shared", 32, 16),
                Arguments.of("resnet-18", "shared", 224, 4));
    }

    @ParameterizedTest(name = "{0}, moh {1}")
    @MethodSource("graphs")
    void forwardAndBackwardThroughMlhCriterionMatchThePlainGraph(String backbone, String moh, int size, int n) {
        MlhConfig c = config(backbone, moh, size);
        Graph<Float> net = MlhNet.build(c);
        StaticGraph<Float> copy = ComputeEngine.forMklDnn(net);
        AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(copy);
        net.training();
        dnn.training();
        // the same weights in the same order: what DistriOptimizer's flat weight vector relies on
        // (MKL-DNN's batch norm holds the plain layer's weight and bias as one tensor)
        assertArrayEquals(
                BigDL.toArray(net.getParameters()._1()),
                BigDL.toArray(dnn.getParameters()._1()),
                0f);

        Tensor<Float> x = images(n, size), labels = labels(n);
        HashCentres centres = HashCentres.generate(10, 64, 42, 0);
        double[] lossPlain = new double[1], lossDnn = new double[1];
        Table outPlain = step(net, x, labels, new MlhCriterion(c, centres, 1), lossPlain);
        Table outDnn = step(dnn, x, labels, new MlhCriterion(c, centres, 1), lossDnn);
        for (int b = 1; b <= 2; b++) {
            assertClose(
                    BigDL.toArray(BigDL.tensorAt(outPlain, b)),
                    BigDL.toArray(BigDL.tensorAt(outDnn, b)),
                    1e-5,
                    "u" + b);
        }
        assertEquals(lossPlain[0], lossDnn[0], 1e-5 * Math.abs(lossPlain[0]));
        assertRelativeL2(
                BigDL.toArray(net.getParameters()._2()),
                BigDL.toArray(dnn.getParameters()._2()),
                1e-2,
                "gradient");

        // weights come back into a plain graph with the same layout
        Graph<Float> other = MlhNet.build(c.with("seed", 7));
        ComputeEngine.copyTrainedState(dnn, other);
        assertArrayEquals(
                BigDL.toArray(net.getParameters()._1()),
                BigDL.toArray(other.getParameters()._1()),
                0f);
    }

    /**
     * What the train job does with a batch-norm backbone on MKL-DNN: steps on the MKL-DNN graph, the
     * trained state copied into the plain graph (the one saved), and that graph encoded again. The
     * plain graph's inference must equal MKL-DNN's inference of it, batch-norm statistics included,
     * and those statistics must be the trained ones (inference with the initial ones differs).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vgg-small-bn", "resnet-18"})
    void theTrainedStateComesBackIntoThePlainGraph(String backbone) {
        int size = backbone.startsWith("resnet") ? 224 : 32, n = backbone.startsWith("resnet") ? 4 : 16;
        MlhConfig c = config(backbone, "shared", size);
        Graph<Float> net = MlhNet.build(c);
        Tensor<Float> x = images(n, size), labels = labels(n);
        net.evaluate();
        float[] untrained = BigDL.toArray(BigDL.tensorAt(net.forward(x.clone()).toTable(), 1));

        AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
        dnn.training();
        HashCentres centres = HashCentres.generate(10, 64, 42, 0);
        Tensor<Float> w = dnn.getParameters()._1(), g = dnn.getParameters()._2();
        for (int i = 0; i < 3; i++) {
            step(dnn, x, labels, new MlhCriterion(c, centres, 1), new double[1]);
            w.add(-0.01f, g);
        }
        ComputeEngine.copyTrainedState(dnn, net);
        Tensor<Float>[] trained = dnn.getExtraParameter(), copied = net.getExtraParameter();
        assertEquals(trained.length, copied.length);
        for (int i = 0; i < trained.length; i++)
            assertArrayEquals(BigDL.toArray(trained[i]), BigDL.toArray(copied[i]), 0f, "statistic " + i);
        assertArrayEquals(BigDL.toArray(w), BigDL.toArray(net.getParameters()._1()), 0f);

        net.evaluate();
        float[] plain = BigDL.toArray(BigDL.tensorAt(net.forward(x.clone()).toTable(), 1))
                .clone();
        AbstractModule<Activity, Activity, Float> encoder = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
        encoder.evaluate();
        float[] mkldnn = BigDL.toArray(BigDL.tensorAt(encoder.forward(x.clone()).toTable(), 1));
        assertClose(plain, mkldnn, 1e-4, "inference u_c");
        double moved = 0;
        for (int i = 0; i < plain.length; i++) moved = Math.max(moved, Math.abs(plain[i] - untrained[i]));
        assertTrue(moved > 0.05, "training changed the inference codes by only " + moved);
    }

    /**
     * What the train job's epoch report reads: each MoH term layer's input after an inference pass, found by
     * name in the plain graph and in its MKL-DNN form alike (there the layer runs wrapped, its batch split
     * over the cores). Balance terms sit on the gate weights, diversity terms on the N x K x q expert outputs.
     */
    @ParameterizedTest(name = "moh {0}")
    @ValueSource(strings = {"shared:2:0.5:0.3", "separate:0:0.5:0.3"})
    void theMohTermsInputsAreFoundInEitherForm(String moh) {
        MlhConfig c = config("vgg-small", moh, 32);
        List<MixtureOfHashExperts.Term> terms = MixtureOfHashExperts.terms(MixtureOfHashExperts.Spec.of(c), c.bits());
        assertEquals(
                moh.startsWith("shared") ? Arrays.asList("B_c", "B_p", "D") : Arrays.asList("B_c", "B_p", "D_c", "D_p"),
                terms.stream().map(t -> t.label).collect(Collectors.toList()));
        Graph<Float> net = MlhNet.build(c);
        AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
        net.evaluate();
        dnn.evaluate();
        Tensor<Float> x = images(16, 32);
        net.forward(x.clone());
        dnn.forward(x.clone());
        for (MixtureOfHashExperts.Term t : terms) {
            float[] plain = BigDL.toArray(BigDL.layerOutput(net, t.layer)),
                    mkldnn = BigDL.toArray(BigDL.layerOutput(dnn, t.layer));
            int per = Arrays.stream(t.rowShape).reduce(1, (a, b) -> a * b);
            assertEquals(16 * per, plain.length, t.layer);
            assertClose(plain, mkldnn, 1e-5, t.layer);
            double value = t.value(plain, 16);
            assertEquals(value, t.value(mkldnn, 16), 1e-5, t.layer);
            assertTrue(value > 0 && (t.label.startsWith("B") || value <= 1), t.label + " = " + value);
        }
        // a balance term's input is its gate's weights
        assertArrayEquals(
                BigDL.toArray(BigDL.layerOutput(net, MixtureOfHashExperts.CENTRE + MixtureOfHashExperts.GATE_WEIGHTS)),
                BigDL.toArray(BigDL.layerOutput(net, terms.get(0).layer)),
                0f);
        assertEquals(null, BigDL.layerOutput(dnn, "no-such-layer"));
    }

    private static MlhConfig config(String backbone, String moh, int size) {
        Map<String, Object> m = new HashMap<>();
        m.put("model.backbone", backbone);
        m.put("model.input-size", size);
        m.put("moh.mode", moh.split(":")[0]);
        String[] parts = moh.split(":");
        if (parts.length > 1) m.put("moh.top-k", Integer.parseInt(parts[1]));
        if (parts.length > 2) m.put("moh.balance-weight", Double.parseDouble(parts[2]));
        if (parts.length > 3) m.put("moh.diversity-weight", Double.parseDouble(parts[3]));
        return MlhConfig.defaults().with(m);
    }

    private static Tensor<Float> images(int n, int size) {
        Tensor<Float> x = BigDL.tensor(n, 3, size, size);
        x.randn();
        return x;
    }

    private static Tensor<Float> labels(int n) {
        float[] y = new float[n * 10];
        for (int i = 0; i < n; i++) y[i * 10 + i % 10] = 1;
        return BigDL.tensor(y, n, 10);
    }

    private static Table step(
            AbstractModule<Activity, Activity, Float> m,
            Tensor<Float> x,
            Tensor<Float> labels,
            MlhCriterion criterion,
            double[] loss) {
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
