package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.Container;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.Module$;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Node;
import io.mlh.core.bigdl.BigDL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loads pretrained backbone weights from a model file in BigDL's own (protobuf) format, e.g. a ResNet
 * classifier trained on ImageNet. Layers with weights are matched in forward order and must agree in
 * shape; the source's extra trailing layers (its classifier) are ignored.
 */
final class PretrainedWeights {
    private PretrainedWeights() {}

    static void copyInto(List<AbstractModule<Activity, Activity, Float>> target, String path) {
        AbstractModule<Activity, Activity, Float> source = Module$.MODULE$.loadModule(path, null, BigDL.FLOAT, BigDL.NUM);
        List<AbstractModule<Activity, Activity, Float>> from = withWeights(flatten(source));
        List<AbstractModule<Activity, Activity, Float>> to = withWeights(target);
        if (from.size() < to.size()) {
            throw new IllegalArgumentException("pretrained model " + path + " has " + from.size()
                    + " layers with weights, the backbone needs " + to.size());
        }
        for (int i = 0; i < to.size(); i++) {
            copy(from.get(i).parameters()._1(), to.get(i).parameters()._1(), path, i, to.get(i));
            Tensor<Float>[] extraFrom = from.get(i).getExtraParameter(), extraTo = to.get(i).getExtraParameter();
            if (extraTo != null && extraFrom != null) copy(extraFrom, extraTo, path, i, to.get(i)); // e.g. BN running stats
        }
    }

    private static void copy(Tensor<Float>[] from, Tensor<Float>[] to, String path, int layer,
                             AbstractModule<Activity, Activity, Float> module) {
        if (from.length != to.length) {
            throw new IllegalArgumentException("pretrained model " + path + ": layer " + layer + " (" + module.getName()
                    + ") has " + from.length + " weight tensors, expected " + to.length);
        }
        for (int k = 0; k < to.length; k++) {
            if (!Arrays.equals(from[k].size(), to[k].size())) {
                throw new IllegalArgumentException("pretrained model " + path + ": layer " + layer + " (" + module.getName()
                        + ") weight " + k + " has shape " + Arrays.toString(from[k].size()) + ", expected " + Arrays.toString(to[k].size()));
            }
            to[k].copy(from[k]);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<AbstractModule<Activity, Activity, Float>> flatten(AbstractModule<Activity, Activity, Float> m) {
        List<AbstractModule<Activity, Activity, Float>> out = new ArrayList<>();
        if (m instanceof Graph) {
            for (Node<AbstractModule<Activity, Activity, Float>> n : ((Graph<Float>) (Object) m).getForwardExecutions()) {
                out.addAll(flatten(n.element()));
            }
        } else if (m instanceof Container) {
            scala.collection.Iterator<?> it = ((Container<?, ?, Float>) (Object) m).modules().iterator();
            while (it.hasNext()) out.addAll(flatten((AbstractModule<Activity, Activity, Float>) it.next()));
        } else {
            out.add(m);
        }
        return out;
    }

    private static List<AbstractModule<Activity, Activity, Float>> withWeights(List<AbstractModule<Activity, Activity, Float>> layers) {
        List<AbstractModule<Activity, Activity, Float>> out = new ArrayList<>();
        for (AbstractModule<Activity, Activity, Float> l : layers) {
            scala.Tuple2<Tensor<Float>[], Tensor<Float>[]> p = l.parameters();
            if (p != null && p._1() != null && p._1().length > 0) out.add(l);
        }
        return out;
    }
}
