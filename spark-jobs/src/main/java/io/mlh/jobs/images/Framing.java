package io.mlh.jobs.images;

import java.io.Serializable;
import org.apache.spark.sql.Row;

/**
 * How a shard-table image becomes the network's input: decoded, a region cut (the centred square of
 * {@code data.centre-crop}, or a training crop), resized to the input size and normalised per channel.
 * Training samples, validation, and encoding all frame images through this, so they see the same input.
 */
public final class Framing implements Serializable {
    private static final long serialVersionUID = 1L;
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
