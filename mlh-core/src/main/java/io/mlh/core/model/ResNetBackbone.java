package io.mlh.core.model;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ResNet-18 / ResNet-50 for 224 px inputs from BigDL's own ResNet builder (ImageNet layout,
 * shortcut B) with its classifier removed: the hash heads attach to the pooled, flattened features.
 *
 * <p>Pretrained weights come from a ResNet classifier saved in BigDL's (protobuf) model format: that
 * graph itself becomes the backbone, after checking its weights have exactly the shapes of the
 * configured depth, so no layer-by-layer matching can go wrong.
 */
final class ResNetBackbone {
    private ResNetBackbone() {}

    static Backbone build(int depth, int channels, int size, String pretrained) {
        if (size != 224) throw new IllegalArgumentException("resnet-" + depth + " needs 224 px inputs, got " + size);
        if (channels != 3)
            throw new IllegalArgumentException("resnet-" + depth + " needs 3 input channels, got " + channels);
        Graph<Float> classifier = fresh(depth);
        if (!pretrained.isEmpty()) classifier = load(pretrained, classifier, depth);

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
