package io.mlh.core.model;

import static io.mlh.core.bigdl.BigDL.batchNorm2d;
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
 * {@code vgg-small-bn} puts a batch normalisation between each conv and its ReLU: without it the
 * untrained network maps every image to nearly the same code direction (mean pairwise cosine about
 * 0.95; with it about 0.67), which a cosine-scored centre loss is slow to leave.
 */
final class VggSmall {
    private VggSmall() {}

    static Backbone build(int channels, int size, boolean batchNorm) {
        if (size % 4 != 0) {
            throw new IllegalArgumentException("vgg-small needs an input size divisible by 4, got " + size);
        }
        Node<AbstractModule<Activity, Activity, Float>> in = input("image");
        Node<AbstractModule<Activity, Activity, Float>> x = convRelu(in, channels, 64, batchNorm);
        x = convRelu(x, 64, 64, batchNorm);
        x = node(maxPool2(), x);
        x = convRelu(x, 64, 128, batchNorm);
        x = convRelu(x, 128, 128, batchNorm);
        x = node(maxPool2(), x);
        int d = 128 * (size / 4) * (size / 4);
        return new Backbone(in, node(flatten(d), x), d);
    }

    private static Node<AbstractModule<Activity, Activity, Float>> convRelu(
            Node<AbstractModule<Activity, Activity, Float>> x, int in, int out, boolean batchNorm) {
        Node<AbstractModule<Activity, Activity, Float>> y = node(conv3x3(in, out), x);
        if (batchNorm) y = node(batchNorm2d(out), y);
        return node(relu(), y);
    }
}
