package io.mlh.jobs.train;

import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.jobs.common.JobSettings;
import java.util.List;

/**
 * The train job's keys beside the model's ({@code mlh.data.augment.*}, {@code mlh.jobs.train.*};
 * reference.conf says what each means), read and checked once.
 */
public final class TrainSettings {
    public static final Key<Boolean> FLIP = Key.bool("data.augment.flip");
    public static final Key<Integer> CROP_PADDING = Key.integer("data.augment.crop-padding", 0);
    public static final Key<Boolean> RESIZED_CROP = Key.bool("data.augment.resized-crop");
    public static final Key<List<Double>> CROP_SCALE = Key.numbers("data.augment.crop-scale");
    public static final Key<List<Double>> CROP_RATIO = Key.numbers("data.augment.crop-ratio");
    public static final Key<Boolean> RESUME = Key.bool("jobs.train.resume");
    public static final Key<Integer> EPOCH_RETRIES = Key.integer("jobs.train.epoch-retries", 0);
    public static final Key<Boolean> TENSORBOARD = Key.bool("jobs.train.tensorboard");
    public static final Key<String> TENSORBOARD_DIR = Key.string("jobs.train.tensorboard-dir");
    public static final Key<Integer> VALIDATION_QUERIES = Key.integer("jobs.train.validation-queries", 0);
    public static final Key<Integer> VALIDATION_DATABASE = Key.integer("jobs.train.validation-database", 0);

    /** Training-time augmentation: random horizontal flips; random shifts of up to this many pixels. */
    public final boolean flip;

    public final int cropPadding;
    /** The random resized crop's [min, max] area fraction and aspect ratio; both null when off. */
    public final double[] cropScale, cropRatio;

    public final boolean resume, tensorboard;
    /** How many times an epoch that lost an executor is redone from the last checkpoint. */
    public final int epochRetries;
    /** Where TensorBoard event files go. */
    public final String tensorboardDir;
    /** Held-out queries and database rows for the per-epoch validation mAP. */
    public final int validationQueries, validationDatabase;

    public TrainSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.flip = r.get(FLIP);
        this.cropPadding = r.get(CROP_PADDING);
        if (cropPadding >= s.model.inputSize())
            throw r.error(
                    CROP_PADDING.name(),
                    "must be in 0.." + (s.model.inputSize() - 1) + " (below model.input-size), got " + cropPadding);
        boolean resizedCrop = r.get(RESIZED_CROP);
        this.cropScale = resizedCrop ? range(r, CROP_SCALE, 1) : null;
        this.cropRatio = resizedCrop ? range(r, CROP_RATIO, Double.POSITIVE_INFINITY) : null;
        this.resume = r.get(RESUME);
        this.epochRetries = r.get(EPOCH_RETRIES);
        this.tensorboard = r.get(TENSORBOARD);
        String eventDir = r.get(TENSORBOARD_DIR);
        this.tensorboardDir = eventDir.isEmpty() ? s.modelPath + "-tensorboard" : eventDir;
        this.validationQueries = r.get(VALIDATION_QUERIES);
        this.validationDatabase = r.get(VALIDATION_DATABASE);
    }

    /** A [min, max] pair with 0 < min <= max <= limit. */
    private static double[] range(ConfigReader r, Key<List<Double>> key, double limit) {
        List<Double> d = r.get(key);
        if (d.size() != 2 || !(d.get(0) > 0) || d.get(0) > d.get(1) || d.get(1) > limit) {
            throw r.error(
                    key.name(),
                    "needs [min, max] with 0 < min <= max" + (Double.isInfinite(limit) ? "" : " <= " + limit) + ", got "
                            + d);
        }
        return new double[] {d.get(0), d.get(1)};
    }
}
