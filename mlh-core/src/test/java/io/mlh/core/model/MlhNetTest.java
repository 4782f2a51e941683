package io.mlh.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.models.resnet.ResNet$;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.StaticGraph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MlhNetTest {
    @BeforeAll
    static void engine() {
        BigDL.initLocal(2);
    }

    /** Every method is the same static graph, (u_c, u_p) in (-1, 1); only mlh carries gates. */
    @ParameterizedTest
    @EnumSource(MlhConfig.Method.class)
    void everyMethodBuildsOneStaticGraphWithTwoCodes(MlhConfig.Method method) {
        MlhConfig c = MlhConfig.defaults()
                .with("method", method.configName())
                .with("bits", 24)
                .with("model.input-channels", 1)
                .with("model.input-size", 28);
        Graph<Float> net = MlhNet.build(c);
        assertTrue(net instanceof StaticGraph);
        Tensor<Float> x = BigDL.tensor(3, 1, 28, 28);
        x.randn();
        Table out = net.forward(x).toTable();
        for (int b = 1; b <= 2; b++) {
            assertArrayEquals(new int[] {3, 24}, BigDL.tensorAt(out, b).size());
            for (float v : BigDL.toArray(BigDL.tensorAt(out, b))) assertTrue(v > -1 && v < 1);
        }
        assertEquals(method == MlhConfig.Method.MLH, net.apply("centre-gate").isDefined());
        assertEquals(method == MlhConfig.Method.MLH, net.apply("pairwise-gate").isDefined());
    }

    /** Initial weights follow mlh.seed: the same seed builds the same network, another seed another one. */
    @Test
    void initialWeightsFollowTheSeed() {
        MlhConfig c = MlhConfig.defaults();
        float[] a = flat(MlhNet.build(c)), b = flat(MlhNet.build(c)), other = flat(MlhNet.build(c.with("seed", 7)));
        assertArrayEquals(a, b, 0f);
        int same = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == other[i]) same++;
        assertTrue(same < a.length / 100, same + " of " + a.length + " weights equal under another seed");
    }

    private static float[] flat(Graph<Float> net) {
        Tensor<Float>[] w = net.parameters()._1();
        int n = 0;
        for (Tensor<Float> t : w) n += (int) t.nElement();
        float[] all = new float[n];
        int at = 0;
        for (Tensor<Float> t : w) {
            float[] part = BigDL.toArray(t);
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    @Test
    void resnet50FeedsItsPooledFeaturesToTheHeads() {
        java.util.Map<String, Object> r50 = new java.util.HashMap<>();
        r50.put("model.backbone", "resnet-50");
        r50.put("model.input-size", 224);
        Backbone b = MlhNet.backbone(MlhConfig.defaults().with(r50));
        assertEquals(2048, b.featureDim());
        Graph<Float> net = MlhNet.build(MlhConfig.defaults().with(r50));
        Tensor<Float> x = BigDL.tensor(2, 3, 224, 224);
        x.randn();
        net.evaluate();
        assertArrayEquals(
                new int[] {2, 64}, BigDL.tensorAt(net.forward(x).toTable(), 2).size());
    }

    /**
     * Why vgg-small-bn exists: untrained, plain vgg-small gives every image nearly the same code
     * direction (mean pairwise cosine about 0.95 here); with batch normalisation much less so (about 0.67).
     */
    @Test
    void batchNormSpreadsTheUntrainedCodes() {
        MlhConfig c = MlhConfig.defaults().with("seed", 1);
        Tensor<Float> x = BigDL.tensor(32, 3, 32, 32);
        x.randn();
        double plain = meanPairwiseCosine(MlhNet.build(c), x);
        double bn = meanPairwiseCosine(MlhNet.build(c.with("model.backbone", "vgg-small-bn")), x);
        assertTrue(plain > 0.9, "plain vgg-small mean cosine " + plain);
        assertTrue(bn < 0.75, "vgg-small-bn mean cosine " + bn);
    }

    /** In evaluation the batch norms use their running statistics: one image's code does not depend on its batch. */
    @Test
    void batchNormEvaluationIsPerImage() {
        Graph<Float> net = MlhNet.build(MlhConfig.defaults().with("model.backbone", "vgg-small-bn"));
        Tensor<Float> x = BigDL.tensor(8, 3, 32, 32);
        x.randn();
        net.training();
        net.forward(x); // moves the running statistics off their initial values
        net.evaluate();
        float[] together = BigDL.toMatrix(BigDL.tensorAt(net.forward(x).toTable(), 1))[0];
        float[] alone = BigDL.toMatrix(
                BigDL.tensorAt(net.forward(x.narrow(1, 1, 1).contiguous()).toTable(), 1))[0];
        assertArrayEquals(together, alone, 1e-5f);
    }

    private static double meanPairwiseCosine(Graph<Float> net, Tensor<Float> x) {
        net.training();
        float[][] u = BigDL.toMatrix(BigDL.tensorAt(net.forward(x).toTable(), 1));
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < u.length; i++) {
            for (int j = i + 1; j < u.length; j++) {
                double dot = 0, a = 0, b = 0;
                for (int k = 0; k < u[i].length; k++) {
                    dot += u[i][k] * u[j][k];
                    a += u[i][k] * u[i][k];
                    b += u[j][k] * u[j][k];
                }
                sum += dot / Math.sqrt(a * b);
                pairs++;
            }
        }
        return sum / pairs;
    }

    @Test
    void backboneLearningRateMultiplierScalesOnlyTheBackbone() {
        MlhConfig c = MlhConfig.defaults().with("train.backbone-lr-multiplier", 0.1);
        Graph<Float> net = MlhNet.build(c);
        int scaled = 0;
        for (com.intel.analytics.bigdl.utils.Node<AbstractModule<Activity, Activity, Float>> n :
                net.getForwardExecutions()) {
            AbstractModule<Activity, Activity, Float> m = n.element();
            if (m.getName().startsWith("centre")
                    || m.getName().startsWith("pairwise")
                    || m.getName().equals("experts")) {
                assertEquals(1.0, m.getScaleW(), m.getName());
            } else if (m.parameters() != null) {
                assertEquals(0.1, m.getScaleW(), 1e-12, m.getName());
                scaled++;
            }
        }
        assertEquals(4, scaled); // the four convolutions of vgg-small
    }

    /** A ResNet-18 classifier saved in BigDL's format seeds the backbone; its classifier is left out. */
    @Test
    void resnetBackboneLoadsPretrainedWeights(@TempDir Path dir) {
        com.intel.analytics.bigdl.utils.Table opt = com.intel.analytics.bigdl.utils.T$.MODULE$.apply();
        opt.update("depth", 18);
        opt.update("dataset", com.intel.analytics.bigdl.models.resnet.ResNet$DatasetType$ImageNet$.MODULE$);
        @SuppressWarnings("unchecked")
        AbstractModule<Activity, Activity, Float> source =
                (AbstractModule<Activity, Activity, Float>) (Object) ResNet$.MODULE$.graph(1000, opt);
        String file = dir.resolve("resnet18.bigdl").toString();
        source.saveModule(file, null, true);

        java.util.Map<String, Object> resnet = new java.util.HashMap<>();
        resnet.put("model.backbone", "resnet-18");
        resnet.put("model.input-size", 224);
        resnet.put("model.pretrained", file);
        resnet.put("bits", 32);
        MlhConfig c = MlhConfig.defaults().with(resnet);
        Graph<Float> net = MlhNet.build(c);
        // every backbone weight of the source (all but its classifier's two tensors) is in the MLH net
        Tensor<Float>[] from = source.parameters()._1(), to = net.parameters()._1();
        java.util.Set<Integer> ours = new java.util.HashSet<>();
        for (Tensor<Float> t : to) ours.add(Arrays.hashCode(BigDL.toArray(t)));
        for (int i = 0; i < from.length - 2; i++) {
            assertTrue(
                    ours.contains(Arrays.hashCode(BigDL.toArray(from[i]))),
                    "pretrained weight tensor " + i + " was not loaded");
        }
        assertEquals(from.length - 2 + 6, to.length); // plus the shared experts and the two gates (weight, bias each)
        Tensor<Float> x = BigDL.tensor(1, 3, 224, 224); // a batch of one keeps its batch dimension
        x.randn();
        net.evaluate();
        assertArrayEquals(
                new int[] {1, 32}, BigDL.tensorAt(net.forward(x).toTable(), 1).size());

        MlhConfig missing =
                c.with("model.pretrained", dir.resolve("missing.bigdl").toString());
        assertThrows(RuntimeException.class, () -> MlhNet.build(missing));
        String notResnet = dir.resolve("moh.bigdl").toString();
        MixtureOfHashExperts.standalone(8, 8, MlhConfig.MohMode.SHARED, 2, 2).saveModule(notResnet, null, true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MlhNet.build(c.with("model.pretrained", notResnet)));
        assertTrue(e.getMessage().contains("not a BigDL ResNet-18"), e.getMessage());
    }
}
