package io.mlh.core.model;

import com.intel.analytics.bigdl.models.resnet.ResNet$;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.Input;
import com.intel.analytics.bigdl.nn.Linear;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.Table;

/**
 * ResNet-18 / ResNet-50 for 224 px inputs from BigDL's own ResNet builder (ImageNet layout,
 * shortcut B) with its classifier removed: the hash heads attach to the pooled, flattened features.
 */
final class ResNetBackbone {
    private ResNetBackbone() {}

    @SuppressWarnings("unchecked")
    static Backbone build(int depth, int channels, int size) {
        if (size != 224) {
            throw new IllegalArgumentException("resnet-" + depth + " needs 224 px inputs, got " + size);
        }
        if (channels != 3) {
            throw new IllegalArgumentException("resnet-" + depth + " needs 3 input channels, got " + channels);
        }
        Table opt = com.intel.analytics.bigdl.utils.T$.MODULE$.apply();
        opt.update("depth", depth);
        opt.update("shortcutType", com.intel.analytics.bigdl.models.resnet.ResNet$ShortcutType$B$.MODULE$);
        opt.update("dataset", com.intel.analytics.bigdl.models.resnet.ResNet$DatasetType$ImageNet$.MODULE$);
        opt.update("optnet", false);
        Graph<Float> classifier = (Graph<Float>) (Object) ResNet$.MODULE$.graph(1000, opt);

        Node<AbstractModule<Activity, Activity, Float>> in = null;
        Node<AbstractModule<Activity, Activity, Float>> fc = null;
        for (Node<AbstractModule<Activity, Activity, Float>> n : classifier.getForwardExecutions()) {
            if (n.element() instanceof Input) in = n;
            if (n.element() instanceof Linear) fc = n;
        }
        if (in == null || fc == null) {
            throw new IllegalStateException("unexpected ResNet graph from BigDL: no input or classifier node");
        }
        Node<AbstractModule<Activity, Activity, Float>> features = fc.prevNodes().head();
        features.removeNextEdges(); // detach the 1000-way classifier
        int d = ((Linear<Float>) (Object) fc.element()).inputSize();
        return new Backbone(in, features, d);
    }
}
