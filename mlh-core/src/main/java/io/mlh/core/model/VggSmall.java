package io.mlh.core.model;

import static io.mlh.core.bigdl.BigDL.conv3x3;
import static io.mlh.core.bigdl.BigDL.flatten;
import static io.mlh.core.bigdl.BigDL.input;
import static io.mlh.core.bigdl.BigDL.maxPool2;
import static io.mlh.core.bigdl.BigDL.node;
import static io.mlh.core.bigdl.BigDL.relu;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Node;

/**
 * The small VGG used for 28-32 px images (and the speed anchors of STACK.md):
 * conv3x3 64, 64, maxpool 2, conv3x3 128, 128, maxpool 2 (padding 1, ReLU after each conv), flatten.
 */
final class VggSmall {
    private VggSmall() {}

    static Backbone build(int channels, int size) {
        if (size % 4 != 0) {
            throw new IllegalArgumentException("vgg-small needs an input size divisible by 4, got " + size);
        }
        Node<AbstractModule<Activity, Activity, Float>> in = input("image");
        Node<AbstractModule<Activity, Activity, Float>> x = node(relu(), node(conv3x3(channels, 64), in));
        x = node(relu(), node(conv3x3(64, 64), x));
        x = node(maxPool2(), x);
        x = node(relu(), node(conv3x3(64, 128), x));
        x = node(relu(), node(conv3x3(128, 128), x));
        x = node(maxPool2(), x);
        int d = 128 * (size / 4) * (size / 4);
        return new Backbone(in, node(flatten(d), x), d);
    }
}
