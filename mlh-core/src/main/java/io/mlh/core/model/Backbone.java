package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Node;

/** A feature extractor inside the MLH graph: its output node and the width of its features. */
public final class Backbone {
    final Node<AbstractModule<Activity, Activity, Float>> input;
    final Node<AbstractModule<Activity, Activity, Float>> features;
    final int featureDim;

    Backbone(
            Node<AbstractModule<Activity, Activity, Float>> input,
            Node<AbstractModule<Activity, Activity, Float>> features,
            int featureDim) {
        this.input = input;
        this.features = features;
        this.featureDim = featureDim;
    }

    public int featureDim() {
        return featureDim;
    }

    /** The backbone's layers (input to features), for learning-rate scaling and weight loading. */
    java.util.Set<AbstractModule<Activity, Activity, Float>> layers() {
        java.util.Set<AbstractModule<Activity, Activity, Float>> seen =
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Node<AbstractModule<Activity, Activity, Float>>> todo = new java.util.ArrayDeque<>();
        todo.push(features);
        while (!todo.isEmpty()) {
            Node<AbstractModule<Activity, Activity, Float>> n = todo.pop();
            if (seen.add(n.element())) {
                scala.collection.Iterator<Node<AbstractModule<Activity, Activity, Float>>> it =
                        n.prevNodes().iterator();
                while (it.hasNext()) todo.push(it.next());
            }
        }
        return seen;
    }
}
