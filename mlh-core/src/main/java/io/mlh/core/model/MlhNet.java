package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;

/**
 * The MLH network: a backbone shared by both branches, then the Mixture-of-Hash-Experts heads, as
 * one static graph from an N x C x H x W image batch to the table (u_c, u_p) of N x q codes in (-1, 1).
 */
public final class MlhNet {
    private MlhNet() {}

    /** Positions (1-based, as BigDL's tables count) of the two outputs in the graph's output table. */
    public static final int CENTRE_OUTPUT = 1, PAIRWISE_OUTPUT = 2;

    /** The centre branch's codes u_c (N x q) in an output table of the graph. */
    public static Tensor<Float> centre(Table outputs) {
        return BigDL.tensorAt(outputs, CENTRE_OUTPUT);
    }

    /** The pairwise branch's codes u_p (N x q) in an output table of the graph. */
    public static Tensor<Float> pairwise(Table outputs) {
        return BigDL.tensorAt(outputs, PAIRWISE_OUTPUT);
    }

    /** A fresh network; its initial weights follow {@code mlh.seed} (runs differ by seed, not by chance). */
    public static Graph<Float> build(MlhConfig config) {
        BigDL.seedWeights(config.seed());
        Backbone backbone = backbone(config);
        Node<AbstractModule<Activity, Activity, Float>>[] heads = MixtureOfHashExperts.heads(
                backbone.features, backbone.featureDim, config.bits(), MixtureOfHashExperts.Spec.of(config));
        Graph<Float> net = BigDL.graph(new Node<?>[] {backbone.input}, heads);
        nameLayers(net);
        if (config.backboneLrMultiplier() != 1.0) {
            // BigDL scales a layer's accumulated gradients by scaleW / scaleB: a per-layer learning rate
            for (AbstractModule<Activity, Activity, Float> layer : backbone.layers()) {
                layer.setScaleW(config.backboneLrMultiplier());
                layer.setScaleB(config.backboneLrMultiplier());
            }
        }
        return net;
    }

    /**
     * The backbone alone, as configured (pretrained weights included): N x C x H x W images to their N x d
     * features, what the hash heads take. For comparing the backbone with another implementation of it.
     */
    public static Graph<Float> features(MlhConfig config) {
        BigDL.seedWeights(config.seed());
        Backbone backbone = backbone(config);
        Graph<Float> net = BigDL.graph(new Node<?>[] {backbone.input}, new Node<?>[] {backbone.features});
        nameLayers(net);
        return net;
    }

    /**
     * Names every layer that has no name by its type and position in the graph's execution order
     * ("SpatialConvolution-3"): the same in every build of a configuration, where BigDL's default names
     * carry a random suffix. Layers are matched by name when trained state is copied between graphs.
     */
    private static void nameLayers(Graph<Float> net) {
        scala.collection.Iterator<AbstractModule<Activity, Activity, Float>> layers =
                net.modules().iterator();
        for (int i = 0; layers.hasNext(); i++) {
            AbstractModule<Activity, Activity, Float> layer = layers.next();
            if (!layer.hasName()) layer.setName(layer.getClass().getSimpleName() + "-" + i);
        }
    }

    /**
     * Images a driver-side inference pass takes at once: BigDL keeps every layer's output and a
     * convolution's unfolded input for the whole batch, so a pass of 64 ResNet-50 images at 224 px
     * needs gigabytes. About 2M input values a pass: 64 images at 32 px, 13 at 224.
     */
    public static int inferenceBatch(MlhConfig config) {
        int perImage = config.inputChannels() * config.inputSize() * config.inputSize();
        return Math.max(1, Math.min(64, (1 << 21) / perImage));
    }

    /**
     * The graph's outputs (u_c, u_p) for an N x C x H x W batch, computed {@code chunk} images at a time
     * and concatenated; the layers' buffers are dropped afterwards.
     */
    public static Table forwardInChunks(
            AbstractModule<Activity, Activity, Float> net, Tensor<Float> images, int chunk) {
        int n = images.size(1);
        Tensor<Float> centre = null, pairwise = null;
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            // a copy: the graph's input layer hands this tensor on, and BigDL's clearState() empties it
            Table out = net.forward(images.narrow(1, from + 1, m).clone()).toTable();
            Tensor<Float> uc = centre(out), up = pairwise(out);
            if (centre == null) {
                centre = BigDL.tensor(n, uc.size(2));
                pairwise = BigDL.tensor(n, up.size(2));
            }
            centre.narrow(1, from + 1, m).copy(uc);
            pairwise.narrow(1, from + 1, m).copy(up);
        }
        net.clearState();
        return BigDL.table(centre, pairwise);
    }

    static Backbone backbone(MlhConfig config) {
        switch (config.backbone()) {
            case VGG_SMALL:
                return VggSmall.build(config.inputChannels(), config.inputSize(), false);
            case VGG_SMALL_BN:
                return VggSmall.build(config.inputChannels(), config.inputSize(), true);
            default:
                return ResNetBackbone.build(
                        config.backbone().resNetDepth(),
                        config.inputChannels(),
                        config.inputSize(),
                        config.pretrained());
        }
    }
}
