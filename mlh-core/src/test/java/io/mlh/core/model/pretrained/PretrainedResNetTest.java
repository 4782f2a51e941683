package io.mlh.core.model.pretrained;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.model.MlhNet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A torchvision checkpoint in the project's backbone: the features of {@link RandomResNetCheckpoint}'s
 * resnet-18 and resnet-50 (batch-norm statistics spread so that eps matters) equal PyTorch's own, committed
 * by {@link ResNetFixture}, on both engines; and every way a checkpoint can fail to fit is refused, naming
 * the key, the shape expected and the shape found.
 */
class PretrainedResNetTest {
    /** Largest |difference| allowed, relative to the largest |feature| of PyTorch's. */
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;

    private static Path resnet18;

    @BeforeAll
    static void engine() throws Exception {
        BigDL.initLocal(2);
        resnet18 = dir.resolve("resnet18.pth");
        RandomResNetCheckpoint.write(resnet18, 18, ResNetFixture.seed(18));
    }

    @ParameterizedTest(name = "resnet-{0}")
    @ValueSource(ints = {18, 50})
    void featuresEqualPyTorchsOnBothEngines(int depth) throws Exception {
        Path file = depth == 18 ? resnet18 : dir.resolve("resnet" + depth + ".pth");
        if (depth != 18) RandomResNetCheckpoint.write(file, depth, ResNetFixture.seed(depth));
        Graph<Float> net = MlhNet.features(config("resnet-" + depth, file.toString()));
        float[] want = ResNetFixture.expected(depth);
        Tensor<Float> x = BigDL.tensor(ResNetFixture.inputs(), ResNetFixture.IMAGES, 3, 224, 224);
        net.evaluate();
        assertClose(want, BigDL.toArray((Tensor<Float>) net.forward(x.clone())), "mklblas, resnet-" + depth);

        MlhConfig.Engine before = ComputeEngine.switchForTest(MlhConfig.Engine.MKLDNN);
        try { // the statistics reach MKL-DNN's batch norms through the conversion
            AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
            dnn.evaluate();
            assertClose(want, BigDL.toArray((Tensor<Float>) dnn.forward(x.clone())), "mkldnn, resnet-" + depth);
        } finally {
            ComputeEngine.switchForTest(before);
        }
        if (depth != 18) Files.delete(file);
    }

    @Test
    void aResNet34GivenAsResNet50IsRefusedNamingWhatItIs() throws Exception {
        Path r34 = dir.resolve("resnet34.pth");
        RandomResNetCheckpoint.write(r34, 34, 34);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MlhNet.build(config("resnet-50", r34.toString())));
        String m = e.getMessage();
        assertTrue(m.contains("not a torchvision resnet-50 checkpoint") && m.contains("those of a resnet-34"), m);
        // the bottleneck's third convolution and batch norm missing, a basic block's 3x3 where a 1x1 goes
        assertTrue(m.contains("missing, 0 not in resnet-50, "), m);
        assertTrue(m.contains("layer1.0.bn3.bias: expected [256], missing"), m);
        assertTrue(m.contains("layer1.0.conv1.weight: expected [64, 64, 1, 1] float, found [64, 64, 3, 3] Float"), m);
        Files.delete(r34);
    }

    @Test
    void oneRenamedKeyIsRefusedNamingBoth() {
        Map<String, TorchTensor> sd = tensors(RandomResNetCheckpoint.stateDict(18, 1));
        sd.put("layer2.1.bn2.running_vars", sd.remove("layer2.1.bn2.running_var"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> copy(sd, 18, 3));
        String m = e.getMessage();
        assertTrue(m.contains("2 of its tensors do not fit"), m);
        assertTrue(m.contains("layer2.1.bn2.running_vars: not in resnet-18 (found [128])"), m);
        assertTrue(m.contains("layer2.1.bn2.running_var: expected [128], missing"), m);
    }

    @Test
    void oneTensorOfAnotherShapeIsRefusedWithBothShapes() {
        Map<String, TorchTensor> sd = tensors(RandomResNetCheckpoint.stateDict(18, 1));
        sd.put("layer3.0.downsample.0.weight", new TorchTensor(new int[] {256, 128, 3, 3}, "Float", new float[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> copy(sd, 18, 3));
        assertTrue(
                e.getMessage()
                        .contains("layer3.0.downsample.0.weight: expected [256, 128, 1, 1] float, found"
                                + " [256, 128, 3, 3] Float"),
                e.getMessage());
        assertTrue(e.getMessage().contains("1 of its tensors do not fit"), e.getMessage());
    }

    @Test
    void nothingIsCopiedUnlessEverythingFits() {
        Map<String, TorchTensor> sd = tensors(RandomResNetCheckpoint.stateDict(18, 1));
        sd.remove("layer4.1.bn2.bias");
        Graph<Float> net = MlhNet.features(config("resnet-18", ""));
        float[] before = BigDL.toArray(net.getParameters()._1());
        assertThrows(IllegalArgumentException.class, () -> ResNetWeights.copy(sd, "x.pth", 18, 3, layers(net)));
        assertEquals(
                java.util.Arrays.toString(before),
                java.util.Arrays.toString(BigDL.toArray(net.getParameters()._1())));
    }

    @Test
    void aGreyDataSetWithAnRgbCheckpointIsToldWhatToDo() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> MlhNet.build(config("resnet-18", resnet18.toString()).with("model.input-channels", 1)));
        assertTrue(
                e.getMessage().contains("takes 3-channel images (conv1.weight [64, 3, 7, 7])")
                        && e.getMessage().contains("set model.input-channels = 3"),
                e.getMessage());
    }

    @Test
    void theClassifierAndTheBatchCountsAreLeftOut() {
        Map<String, TorchTensor> sd = tensors(RandomResNetCheckpoint.stateDict(18, 1));
        assertTrue(sd.containsKey("fc.weight") && sd.containsKey("bn1.num_batches_tracked"));
        Graph<Float> net = MlhNet.features(config("resnet-18", ""));
        ResNetWeights.copy(sd, "x.pth", 18, 3, layers(net));
        assertEquals(
                java.util.Arrays.toString(sd.get("layer4.1.conv2.weight").values),
                java.util.Arrays.toString(BigDL.toArray(weightOf(net, "layer4.1.conv2"))));
    }

    // ---------------------------------------------------------------- helpers

    static MlhConfig config(String backbone, String pretrained) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model.backbone", backbone);
        c.put("model.input-size", 224);
        c.put("model.pretrained", pretrained);
        return MlhConfig.defaults().with(c);
    }

    private static void copy(Map<String, TorchTensor> sd, int depth, int channels) {
        ResNetWeights.copy(sd, "x.pth", depth, channels, layers(MlhNet.features(config("resnet-" + depth, ""))));
    }

    private static java.util.List<AbstractModule<Activity, Activity, Float>> layers(Graph<Float> net) {
        return scala.collection.JavaConverters.seqAsJavaListConverter(net.modules())
                .asJava();
    }

    @SuppressWarnings("unchecked")
    private static Tensor<Float> weightOf(Graph<Float> net, String name) {
        return ((AbstractModule<Activity, Activity, Float>) net.apply(name).get())
                .parameters()
                ._1()[0];
    }

    static Map<String, TorchTensor> tensors(Map<String, TorchCheckpointWriter.Tensor> written) {
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TorchCheckpointWriter.Tensor> e : written.entrySet()) {
            TorchCheckpointWriter.Tensor t = e.getValue();
            out.put(e.getKey(), new TorchTensor(t.shape, t.values == null ? "Long" : "Float", t.values));
        }
        return out;
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": feature count");
        double scale = ResNetFixture.maxAbs(want), worst = 0;
        int at = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        System.out.printf(
                "%s: max |difference| %.3g, relative %.3g (largest feature %.4g)%n", what, worst, worst / scale, scale);
        assertTrue(
                worst <= TOLERANCE * scale,
                what + ": feature " + at + " is " + got[at] + ", PyTorch's " + want[at] + " (relative difference "
                        + worst / scale + ")");
    }
}
