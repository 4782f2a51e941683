package io.mlh.jobs.images;

import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.ModelBundle;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * How a shard-table image becomes the network's input: decoded, a region cut (the centred square of
 * {@code data.centre-crop}, or a training crop), resized to the input size and normalised per channel.
 * Training samples, validation, and encoding all frame images through this, so they see the same input.
 */
public final class Framing implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final Key<List<Double>> MEAN = Key.numbers("data.mean");
    public static final Key<List<Double>> STD =
            Key.numbers("data.std").check(v -> v.stream().allMatch(s -> s > 0) ? null : "must be > 0");
    public static final Key<Double> CENTRE_CROP =
            Key.number("data.centre-crop", 0).check(v -> v <= 1 ? null : "must be in [0, 1], got " + v);

    public final int size, channels;
    private final float[] mean, std;
    private final double centreCrop;

    public Framing(int size, int channels, float[] mean, float[] std, double centreCrop) {
        this.size = size;
        this.channels = channels;
        this.mean = mean;
        this.std = std;
        this.centreCrop = centreCrop;
    }

    /** The framing the config describes: the model's input, {@code data.mean}, {@code data.std}, {@code data.centre-crop}. */
    public static Framing of(MlhConfig model) {
        ConfigReader r = model.reader();
        int channels = model.inputChannels();
        return new Framing(
                model.inputSize(),
                channels,
                perChannel(r, MEAN, channels),
                perChannel(r, STD, channels),
                r.get(CENTRE_CROP));
    }

    /** The framing a model bundle was trained with. */
    public static Framing of(ModelBundle bundle) {
        return new Framing(
                bundle.config.inputSize(), bundle.config.inputChannels(), bundle.mean, bundle.std, bundle.centreCrop);
    }

    /** One value per channel, or one value for all of them. */
    private static float[] perChannel(ConfigReader r, Key<List<Double>> key, int channels) {
        List<Double> d = r.get(key);
        if (d.size() != 1 && d.size() != channels) {
            throw r.error(key.name(), "needs 1 or " + channels + " values (one per input channel), got " + d.size());
        }
        float[] f = new float[channels];
        for (int i = 0; i < channels; i++) f[i] = d.get(d.size() == 1 ? 0 : i).floatValue();
        return f;
    }

    /** The per-channel mean on [0, 1] (a copy). */
    public float[] mean() {
        return mean.clone();
    }

    /** The per-channel standard deviation on [0, 1] (a copy). */
    public float[] std() {
        return std.clone();
    }

    /** {@code data.centre-crop}: the input square's side as a fraction of the shorter side; 0: the whole image. */
    public double centreCrop() {
        return centreCrop;
    }

    /** Values an image takes in the input tensor: channels x size x size. */
    public int values() {
        return channels * size * size;
    }

    /**
     * The input of a row with the shard table's image columns ({@code image}, {@code format}, {@code height},
     * {@code width}, {@code channels}, read by name), cut to {@code crop}, or centre-framed when null.
     */
    public float[] pixels(Row r, ImageCodec.Region crop) {
        int height = r.<Integer>getAs("height"), width = r.<Integer>getAs("width");
        ImageCodec.Region region = crop != null ? crop : ImageCodec.Region.centre(height, width, centreCrop);
        return ImageCodec.toTensorData(
                r.<String>getAs("format"),
                r.<byte[]>getAs("image"),
                height,
                width,
                r.<Integer>getAs("channels"),
                size,
                channels,
                mean,
                std,
                region);
    }
}
