package io.mlh.core.model;

import static io.mlh.core.bigdl.BigDL.averagePool;
import static io.mlh.core.bigdl.BigDL.batchNorm2d;
import static io.mlh.core.bigdl.BigDL.conv;
import static io.mlh.core.bigdl.BigDL.flatten;
import static io.mlh.core.bigdl.BigDL.input;
import static io.mlh.core.bigdl.BigDL.maxPool;
import static io.mlh.core.bigdl.BigDL.node;
import static io.mlh.core.bigdl.BigDL.reluInPlace;
import static io.mlh.core.bigdl.BigDL.sumInPlace;

import com.intel.analytics.bigdl.models.resnet.ResNet$;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.Input;
import com.intel.analytics.bigdl.nn.Linear;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.T$;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.model.pretrained.ResNetWeights;
import io.mlh.core.model.pretrained.TorchCheckpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * torchvision's ResNet-18 / 34 / 50 / 101 for 224 px inputs, layer for layer, without its classifier: the
 * hash heads attach to the pooled, flattened features (512 or 2048). As torchvision's: convolutions without
 * bias, batch norms with eps 1e-5 and momentum 0.1, the bottleneck's stride on its 3x3 convolution, a
 * 1x1 convolution and batch norm as the shortcut where the shape changes, He-normal (fan-out) weights, no
 * regulariser of its own. Each convolution and batch norm carries its torchvision name ({@code conv1},
 * {@code layer3.1.bn2}, {@code layer2.0.downsample.0}), which is how a checkpoint's tensors find their layer.
 *
 * <p>{@code model.pretrained} names either a PyTorch checkpoint of that architecture ({@link ResNetWeights}
 * copies it in, strictly by name and shape) or a ResNet classifier in BigDL's own model format, which then
 * itself becomes the backbone (BigDL's ResNet layout, kept for the files made with it).
 */
final class ResNetBackbone {
    private ResNetBackbone() {}

    static Backbone build(int depth, int channels, int size, String pretrained) {
        if (size != 224) throw new IllegalArgumentException("resnet-" + depth + " needs 224 px inputs, got " + size);
        if (pretrained.isEmpty()) return torchvision(depth, channels);
        boolean torch;
        try {
            torch = TorchCheckpoint.looksLikeZip(pretrained, new org.apache.hadoop.conf.Configuration());
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "model.pretrained " + pretrained + " cannot be read: " + e.getMessage(), e);
        }
        if (!torch) {
            if (channels != 3)
                throw new IllegalArgumentException("a BigDL ResNet takes 3 input channels, got " + channels);
            return fromClassifier(load(pretrained, fresh(depth), depth));
        }
        Backbone b = torchvision(depth, channels);
        ResNetWeights.copy(pretrained, depth, channels, b.layers());
        return b;
    }

    /** torchvision's layout with fresh weights, its first convolution taking {@code channels}. */
    static Backbone torchvision(int depth, int channels) {
        Node<AbstractModule<Activity, Activity, Float>> in = input("image");
        Node<AbstractModule<Activity, Activity, Float>> x =
                node(named(conv(channels, 64, 7, 2, 3, false), "conv1"), in);
        x = node(named(batchNorm2d(64, 1e-5), "bn1"), x);
        x = node(maxPool(3, 2, 1), node(reluInPlace(), x));
        int width = 64, planes = 64;
        int[] blocks = ResNetLayout.stages(depth);
        for (int stage = 0; stage < blocks.length; stage++, planes *= 2) {
            for (int b = 0; b < blocks[stage]; b++) {
                String name = "layer" + (stage + 1) + "." + b;
                int stride = stage > 0 && b == 0 ? 2 : 1;
                x = ResNetLayout.bottleneck(depth)
                        ? bottleneck(x, name, width, planes, stride)
                        : basic(x, name, width, planes, stride);
                width = ResNetLayout.bottleneck(depth) ? planes * 4 : planes;
            }
        }
        x = node(averagePool(7), x);
        return new Backbone(in, node(flatten(width), x), width);
    }

    /** conv3x3 - bn - relu - conv3x3 - bn, plus the shortcut, then relu. */
    private static Node<AbstractModule<Activity, Activity, Float>> basic(
            Node<AbstractModule<Activity, Activity, Float>> x, String name, int in, int planes, int stride) {
        Node<AbstractModule<Activity, Activity, Float>> y = convBn(x, name, 1, in, planes, 3, stride);
        y = convBn(node(reluInPlace(), y), name, 2, planes, planes, 3, 1);
        return node(reluInPlace(), node(sumInPlace(), y, shortcut(x, name, in, planes, stride)));
    }

    /** conv1x1 - bn - relu - conv3x3 (the stride) - bn - relu - conv1x1 (4x planes) - bn, plus the shortcut, then relu. */
    private static Node<AbstractModule<Activity, Activity, Float>> bottleneck(
            Node<AbstractModule<Activity, Activity, Float>> x, String name, int in, int planes, int stride) {
        Node<AbstractModule<Activity, Activity, Float>> y = convBn(x, name, 1, in, planes, 1, 1);
        y = convBn(node(reluInPlace(), y), name, 2, planes, planes, 3, stride);
        y = convBn(node(reluInPlace(), y), name, 3, planes, planes * 4, 1, 1);
        return node(reluInPlace(), node(sumInPlace(), y, shortcut(x, name, in, planes * 4, stride)));
    }

    private static Node<AbstractModule<Activity, Activity, Float>> convBn(
            Node<AbstractModule<Activity, Activity, Float>> x,
            String block,
            int i,
            int in,
            int out,
            int k,
            int stride) {
        Node<AbstractModule<Activity, Activity, Float>> c =
                node(named(conv(in, out, k, stride, k / 2, false), block + ".conv" + i), x);
        return node(named(batchNorm2d(out, 1e-5), block + ".bn" + i), c);
    }

    /** The input itself, or a 1x1 convolution and batch norm ("downsample") where the shape changes. */
    private static Node<AbstractModule<Activity, Activity, Float>> shortcut(
            Node<AbstractModule<Activity, Activity, Float>> x, String block, int in, int out, int stride) {
        if (in == out && stride == 1) return x;
        Node<AbstractModule<Activity, Activity, Float>> c =
                node(named(conv(in, out, 1, stride, 0, false), block + ".downsample.0"), x);
        return node(named(batchNorm2d(out, 1e-5), block + ".downsample.1"), c);
    }

    private static AbstractModule<?, ?, Float> named(AbstractModule<?, ?, Float> layer, String name) {
        return layer.setName(name);
    }

    // ---------------------------------------------------------------- a BigDL-format ResNet classifier

    /** The backbone of a BigDL ResNet classifier graph: the graph itself, cut before its one Linear. */
    private static Backbone fromClassifier(Graph<Float> classifier) {
        Node<AbstractModule<Activity, Activity, Float>> in = null, fc = null;
        int linears = 0;
        for (Node<AbstractModule<Activity, Activity, Float>> n : classifier.getForwardExecutions()) {
            if (n.element() instanceof Input) in = n;
            if (n.element() instanceof Linear) {
                fc = n; // a ResNet has exactly one Linear: its classifier
                linears++;
            }
        }
        if (in == null || linears != 1)
            throw new IllegalArgumentException("not a ResNet classifier graph: no input or not one final Linear");
        // Detach the classifier and its flatten at the global pooling, then flatten again with our own
        // View: a View read back from a model file forgets its input dims and drops a batch of one.
        Node<AbstractModule<Activity, Activity, Float>> pool =
                fc.prevNodes().head().prevNodes().head();
        pool.removeNextEdges();
        @SuppressWarnings("unchecked")
        int d = ((Linear<Float>) (Object) fc.element()).inputSize();
        Node<AbstractModule<Activity, Activity, Float>> features = BigDL.node(BigDL.flatten(d), pool);
        return new Backbone(in, features, d);
    }

    /** BigDL's own ResNet classifier (1000 classes): the shapes a BigDL-format file must have. */
    @SuppressWarnings("unchecked")
    static Graph<Float> fresh(int depth) {
        Table opt = T$.MODULE$.apply();
        opt.update("depth", depth);
        opt.update("shortcutType", com.intel.analytics.bigdl.models.resnet.ResNet$ShortcutType$B$.MODULE$);
        opt.update("dataset", com.intel.analytics.bigdl.models.resnet.ResNet$DatasetType$ImageNet$.MODULE$);
        opt.update("optnet", false);
        return (Graph<Float>) (Object) ResNet$.MODULE$.graph(1000, opt);
    }

    @SuppressWarnings("unchecked")
    private static Graph<Float> load(String path, Graph<Float> reference, int depth) {
        AbstractModule<Activity, Activity, Float> m = BigDL.loadModule(path);
        if (!(m instanceof Graph)) {
            throw new IllegalArgumentException(
                    "pretrained model " + path + " is a " + m.getClass().getSimpleName() + ", not a ResNet graph");
        }
        Graph<Float> g = (Graph<Float>) (Object) m;
        // the classifier's class count may differ; everything before it must be this ResNet
        List<String> expected = shapes(reference), actual = shapes(g);
        if (!expected.subList(0, expected.size() - 2).equals(actual.subList(0, Math.max(0, actual.size() - 2)))) {
            throw new IllegalArgumentException("pretrained model " + path + " is not a BigDL ResNet-" + depth + ": its "
                    + actual.size() + " weight tensors do not have the shapes of one");
        }
        return g;
    }

    /** Sorted weight shapes, the classifier's (the largest 2-D and its bias) last. */
    private static List<String> shapes(Graph<Float> g) {
        List<String> s = new ArrayList<>();
        Tensor<Float>[] w = g.parameters()._1();
        for (Tensor<Float> t : w) s.add(Arrays.toString(t.size()));
        String classifierWeight = Arrays.toString(w[w.length - 2].size()),
                classifierBias = Arrays.toString(w[w.length - 1].size());
        s.remove(classifierWeight);
        s.remove(classifierBias);
        s.sort(null);
        s.add(classifierWeight);
        s.add(classifierBias);
        return s;
    }
}
