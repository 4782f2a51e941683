package io.mlh.core.model;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Node;

/** A feature extractor inside the MLH graph: its output node and the width of its features. */
public final class Backbone {
    final Node<AbstractModule<Activity, Activity, Float>> input;
    final Node<AbstractModule<Activity, Activity, Float>> features;
    final int featureDim;

    Backbone(Node<AbstractModule<Activity, Activity, Float>> input,
             Node<AbstractModule<Activity, Activity, Float>> features, int featureDim) {
        this.input = input;
        this.features = features;
        this.featureDim = featureDim;
    }

    public int featureDim() {
        return featureDim;
    }
}
