package io.mlh.core.model.pretrained;

import com.intel.analytics.bigdl.nn.SpatialBatchNormalization;
import com.intel.analytics.bigdl.nn.SpatialConvolution;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.model.ResNetLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.log4j.Logger;

/**
 * A torchvision ResNet checkpoint copied into the backbone, every tensor by its name and shape: each
 * convolution's {@code weight}, each batch norm's {@code weight}, {@code bias}, {@code running_mean} and
 * {@code running_var}. The classifier ({@code fc.*}) is dropped and {@code num_batches_tracked} ignored.
 * A key the backbone lacks, a tensor the checkpoint lacks, or a tensor of another shape stops the load
 * naming the key, the shape expected and the shape found; nothing is copied unless everything fits.
 */
public final class ResNetWeights {
    private ResNetWeights() {}

    private static final Logger LOG = Logger.getLogger(ResNetWeights.class);

    /** How many problems of each kind a refusal lists before it only counts them. */
    private static final int LISTED = 5;

    /**
     * Copies the checkpoint at {@code path} into {@code layers} (the backbone's, named as torchvision's) of a
     * resnet-{@code depth} taking {@code channels} input channels.
     */
    public static void copy(
            String path, int depth, int channels, Collection<? extends AbstractModule<?, ?, Float>> layers) {
        Map<String, TorchTensor> checkpoint;
        try {
            checkpoint = TorchCheckpoint.stateDict(path, new org.apache.hadoop.conf.Configuration());
        } catch (IOException e) {
            throw new IllegalArgumentException("model.pretrained: " + e.getMessage(), e);
        }
        copy(checkpoint, path, depth, channels, layers);
    }

    static void copy(
            Map<String, TorchTensor> checkpoint,
            String path,
            int depth,
            int channels,
            Collection<? extends AbstractModule<?, ?, Float>> layers) {
        Map<String, Tensor<Float>> targets = targets(layers);
        TorchTensor first = checkpoint.get("conv1.weight");
        if (first != null && first.shape.length == 4 && first.shape[1] != channels) {
            throw new IllegalArgumentException("model.pretrained " + path + " takes " + first.shape[1]
                    + "-channel images (conv1.weight " + first.shapeText() + ") but model.input-channels is "
                    + channels
                    + (channels == 1 && first.shape[1] == 3
                            ? ": set model.input-channels = 3 (grey images are then fed as three equal channels)"
                                    + " and data.mean / data.std to ImageNet's three values"
                            : ": set model.input-channels = " + first.shape[1]));
        }
        List<String> missing = new ArrayList<>(), extra = new ArrayList<>(), shapes = new ArrayList<>();
        Map<String, TorchTensor> used = new LinkedHashMap<>();
        for (Map.Entry<String, TorchTensor> e : checkpoint.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("fc.") || key.endsWith(".num_batches_tracked")) continue;
            Tensor<Float> t = targets.get(key);
            TorchTensor found = e.getValue();
            if (t == null) extra.add(key + ": not in resnet-" + depth + " (found " + found.shapeText() + ")");
            else if (!Arrays.equals(expected(t), found.shape) || !found.isFloatingPoint())
                shapes.add(key + ": expected " + Arrays.toString(expected(t)) + " float, found " + found.shapeText()
                        + " " + found.type);
            else used.put(key, found);
        }
        for (Map.Entry<String, Tensor<Float>> e : targets.entrySet())
            if (!checkpoint.containsKey(e.getKey()))
                missing.add(e.getKey() + ": expected " + Arrays.toString(expected(e.getValue())) + ", missing");
        int problems = missing.size() + extra.size() + shapes.size();
        if (problems > 0) {
            StringBuilder m = new StringBuilder("model.pretrained " + path + " is not a torchvision resnet-" + depth
                    + " checkpoint (model.backbone)" + architecture(checkpoint) + ": " + problems + " of its tensors"
                    + " do not fit (" + missing.size() + " missing, " + extra.size() + " not in resnet-" + depth + ", "
                    + shapes.size() + " of another shape)");
            for (List<String> kind : Arrays.asList(missing, extra, shapes)) {
                for (String p : kind.subList(0, Math.min(LISTED, kind.size())))
                    m.append("\n  ").append(p);
                if (kind.size() > LISTED)
                    m.append("\n  ... and ").append(kind.size() - LISTED).append(" more");
            }
            throw new IllegalArgumentException(m.toString());
        }
        for (Map.Entry<String, TorchTensor> e : used.entrySet()) {
            float[] v = e.getValue().values;
            BigDL.write(targets.get(e.getKey()), 0, v, 0, v.length);
        }
        LOG.info("copied " + used.size() + " tensors of " + path + " into resnet-" + depth + " ("
                + (checkpoint.size() - used.size()) + " left out: fc.* and num_batches_tracked)");
    }

    /** Every tensor the checkpoint must supply, by its torchvision key. */
    private static Map<String, Tensor<Float>> targets(Collection<? extends AbstractModule<?, ?, Float>> layers) {
        Map<String, Tensor<Float>> t = new TreeMap<>();
        for (AbstractModule<?, ?, Float> layer : layers) {
            String n = layer.getName();
            if (layer instanceof SpatialConvolution) {
                SpatialConvolution<Float> c = (SpatialConvolution<Float>) layer;
                t.put(n + ".weight", c.weight());
                if (c.withBias()) t.put(n + ".bias", c.bias());
            } else if (layer instanceof SpatialBatchNormalization) {
                SpatialBatchNormalization<Float> bn = (SpatialBatchNormalization<Float>) layer;
                t.put(n + ".weight", bn.weight());
                t.put(n + ".bias", bn.bias());
                t.put(n + ".running_mean", bn.runningMean());
                t.put(n + ".running_var", bn.runningVar());
            }
        }
        return t;
    }

    /** A tensor's shape as PyTorch has it: BigDL's convolution weights carry a leading group dimension of 1. */
    private static int[] expected(Tensor<Float> t) {
        int[] s = t.size();
        return s.length == 5 && s[0] == 1 ? Arrays.copyOfRange(s, 1, 5) : s;
    }

    /** What the checkpoint's own keys say it is (" (its keys are those of a resnet-34)"), or "". */
    static String architecture(Map<String, TorchTensor> checkpoint) {
        List<TreeSet<Integer>> blocks = new ArrayList<>();
        for (int i = 0; i < 4; i++) blocks.add(new TreeSet<>());
        boolean conv3 = false;
        for (String k : checkpoint.keySet()) {
            if (!k.startsWith("layer") || k.length() < 8 || k.charAt(6) != '.') continue;
            int stage = k.charAt(5) - '1';
            String rest = k.substring(7);
            int dot = rest.indexOf('.');
            if (stage < 0 || stage > 3 || dot < 1) continue;
            try {
                blocks.get(stage).add(Integer.parseInt(rest.substring(0, dot)));
            } catch (NumberFormatException e) {
                continue;
            }
            conv3 |= rest.substring(dot + 1).startsWith("conv3.");
        }
        int[] counts = new int[4];
        for (int i = 0; i < 4; i++) counts[i] = blocks.get(i).size();
        for (int depth : ResNetLayout.DEPTHS) {
            if (Arrays.equals(ResNetLayout.stages(depth), counts) && conv3 == ResNetLayout.bottleneck(depth))
                return " (its keys are those of a resnet-" + depth + ")";
        }
        return counts[0] == 0 ? " (it has no layer1..layer4 keys: not a torchvision ResNet)" : "";
    }
}
