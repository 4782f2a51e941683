package io.mlh.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Fashion-MNIST as installed by Debian's dataset-fashion-mnist package (see ../shared/datasets). */
public final class FashionMnist {
    public static final Path DIR =
            Paths.get(System.getProperty("mlh.fashion-mnist", "/usr/share/datasets/fashion-mnist"));
    /** Pixel mean and standard deviation of the training set, on [0, 1]. */
    public static final float MEAN = 0.2860f, STD = 0.3530f;

    private FashionMnist() {}

    /** The 10,000-image test file with one-hot labels over 10 classes. */
    public static LabelledImages testSet() throws IOException {
        return load("t10k");
    }

    /** All 70,000 images: the training file then the test file. */
    public static LabelledImages all() throws IOException {
        return LabelledImages.concat(load("train"), load("t10k"));
    }

    private static LabelledImages load(String prefix) throws IOException {
        Path images = DIR.resolve(prefix + "-images-idx3-ubyte.gz"),
                labels = DIR.resolve(prefix + "-labels-idx1-ubyte.gz");
        if (!Files.exists(images) || !Files.exists(labels)) {
            throw new IOException(
                    "Fashion-MNIST is not at " + DIR + ": install it with `apt-get install -y dataset-fashion-mnist`");
        }
        try (InputStream i = Files.newInputStream(images);
                InputStream l = Files.newInputStream(labels)) {
            return LabelledImages.fromIdx(
                    IdxFile.readImages(i, images.toString()), IdxFile.readLabels(l, labels.toString()), 10, MEAN, STD);
        }
    }
}
