package io.mlh.jobs.shard;

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
     * The input of the row whose image columns start at {@code image} (image, format, height, width,
     * channels, as {@link ShardTable} orders them), cut to {@code crop}, or centre-framed when null.
     */
    public float[] pixels(Row r, int image, ImageCodec.Region crop) {
        int height = r.getInt(image + 2), width = r.getInt(image + 3);
        ImageCodec.Region region = crop != null ? crop : ImageCodec.Region.centre(height, width, centreCrop);
        return ImageCodec.toTensorData(r.getString(image + 1), (byte[]) r.get(image), height, width, r.getInt(image + 4),
                size, channels, mean, std, region);
    }
}
