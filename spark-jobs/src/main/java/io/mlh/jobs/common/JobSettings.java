package io.mlh.jobs.common;

import com.typesafe.config.Config;
import io.mlh.core.config.ConfigError;
import io.mlh.core.config.MlhConfig;
import java.io.Serializable;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The job keys (spark-jobs' reference.conf) next to the model keys of {@link MlhConfig}: one
 * validated, serialisable object a job reads everything from. Jobs take a HOCON file and
 * {@code key=value} overrides: {@code <job> conf/fashion-mnist.conf bits=32 paths.codes=hdfs://...}.
 */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Source { IDX, FOLDER, LIST }

    public enum BadRecordPolicy { FAIL, SKIP }

    /** What the encode job reads: the shard table, or the images of {@code data.*} directly. */
    public enum EncodeInput { SHARDS, SOURCE }

    public final MlhConfig model;
    public final Source source;
    public final String root, folderSplit, listDir;
    /** {@code data.folder-split} split at commas: the sub-directories of root whose images are pooled. */
    public final java.util.List<String> folderSplits;
    public final int queriesPerClass, trainPerClass, shards;
    /** data.shard-size: target bytes of images a shard file; 0 = {@link #shards} files. */
    public final long shardBytes;
    /** Training-time augmentation: random horizontal flips; random shifts of up to this many pixels. */
    public final boolean flip;
    public final int cropPadding;
    /** Training: the random resized crop's [min, max] area fraction and aspect ratio; both null when off. */
    public final double[] cropScale, cropRatio;
    /** The input square's side as a fraction of the image's shorter side, centred; 0: the whole image. */
    public final double centreCrop;
    public final BadRecordPolicy onBadRecord;
    public final float[] mean, std;
    public final String shardsPath, modelPath, codesPath, reportPath, master, queryCodesPath, databaseCodesPath;
    public final boolean resume, overwrite, continuous, gates, tensorboard;
    public final EncodeInput encodeInput;
    public final int encodeBatchSize, topK, evaluatePartitions;
    /** Train: how many times an epoch that lost an executor is redone from the last checkpoint. */
    public final int epochRetries;
    public final int[] precisionAt;
    /** Evaluate: other report directories whose metrics.json join this report's mAP-by-bits plot. */
    public final List<String> compareReports;
    /** Train: where TensorBoard event files go; held-out queries and database rows for the per-epoch validation mAP. */
    public final String tensorboardDir;
    public final int validationQueries, validationDatabase;
    /** Shard, encode, evaluate: at most one progress line this often. */
    public final long progressIntervalMillis;

    public JobSettings(MlhConfig model) {
        this.model = model;
        Config c = model.underlying().getConfig(MlhConfig.ROOT);
        this.source = parse(Source.class, c, "data.source");
        this.root = c.getString("data.root");
        this.folderSplit = c.getString("data.folder-split");
        this.folderSplits = new java.util.ArrayList<>();
        for (String part : folderSplit.split(",")) {
            if (part.trim().isEmpty()) throw new ConfigError("mlh.data.folder-split", "has an empty entry: \"" + folderSplit + "\"");
            folderSplits.add(part.trim());
        }
        this.listDir = c.getString("data.list-dir").isEmpty() ? root : c.getString("data.list-dir");
        this.queriesPerClass = atLeast(c, "data.queries-per-class", 0);
        this.trainPerClass = atLeast(c, "data.train-per-class", 0);
        this.shards = atLeast(c, "data.shards", 1);
        this.shardBytes = c.getBytes("data.shard-size");
        if (shardBytes < 0) throw new ConfigError("mlh.data.shard-size", "must be >= 0, got " + shardBytes);
        this.onBadRecord = parse(BadRecordPolicy.class, c, "data.on-bad-record");
        this.flip = c.getBoolean("data.augment.flip");
        this.cropPadding = atLeast(c, "data.augment.crop-padding", 0);
        if (cropPadding >= model.inputSize()) {
            throw new ConfigError("mlh.data.augment.crop-padding", "must be < the input size " + model.inputSize() + ", got " + cropPadding);
        }
        boolean resizedCrop = c.getBoolean("data.augment.resized-crop");
        this.cropScale = resizedCrop ? range(c, "data.augment.crop-scale", 1) : null;
        this.cropRatio = resizedCrop ? range(c, "data.augment.crop-ratio", Double.POSITIVE_INFINITY) : null;
        this.centreCrop = c.getDouble("data.centre-crop");
        if (!(centreCrop >= 0 && centreCrop <= 1)) throw new ConfigError("mlh.data.centre-crop", "must be in [0, 1], got " + centreCrop);
        this.mean = perChannel(c, "data.mean", model.inputChannels());
        this.std = perChannel(c, "data.std", model.inputChannels());
        for (float s : std) if (!(s > 0)) throw new ConfigError("mlh.data.std", "must be > 0");
        this.shardsPath = c.getString("paths.shards");
        this.modelPath = c.getString("paths.model");
        this.codesPath = c.getString("paths.codes");
        this.reportPath = c.getString("paths.report");
        this.master = c.getString("spark.master");
        this.resume = c.getBoolean("jobs.resume");
        this.overwrite = c.getBoolean("jobs.overwrite");
        this.epochRetries = atLeast(c, "jobs.epoch-retries", 0);
        this.continuous = c.getBoolean("jobs.continuous");
        this.encodeBatchSize = atLeast(c, "jobs.encode-batch-size", 1);
        this.encodeInput = parse(EncodeInput.class, c, "jobs.encode-input");
        this.queryCodesPath = c.getString("jobs.query-codes").isEmpty() ? codesPath : c.getString("jobs.query-codes");
        this.databaseCodesPath = c.getString("jobs.database-codes").isEmpty() ? codesPath : c.getString("jobs.database-codes");
        this.topK = atLeast(c, "jobs.top-k", 0);
        this.precisionAt = c.getIntList("jobs.precision-at").stream().mapToInt(Integer::intValue).toArray();
        for (int n : precisionAt) if (n < 1) throw new ConfigError("mlh.jobs.precision-at", "values must be >= 1");
        this.evaluatePartitions = atLeast(c, "jobs.evaluate-partitions", 0);
        this.compareReports = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(c.getStringList("jobs.compare-reports")));
        this.gates = c.getBoolean("jobs.gates");
        this.tensorboard = c.getBoolean("jobs.tensorboard");
        this.tensorboardDir = c.getString("jobs.tensorboard-dir").isEmpty() ? modelPath + "-tensorboard" : c.getString("jobs.tensorboard-dir");
        this.validationQueries = atLeast(c, "jobs.validation-queries", 0);
        this.validationDatabase = atLeast(c, "jobs.validation-database", 0);
        this.progressIntervalMillis = c.getDuration("jobs.progress-interval", java.util.concurrent.TimeUnit.MILLISECONDS);
        if (progressIntervalMillis < 0) throw new ConfigError("mlh.jobs.progress-interval", "must be >= 0");
    }

    /** args[0]: a HOCON file ("-" for none); the rest: key=value overrides. */
    public static JobSettings fromArgs(String[] args) {
        List<String> all = Arrays.asList(args);
        boolean file = !all.isEmpty() && !all.get(0).contains("=");
        MlhConfig config = MlhConfig.load(file && !all.get(0).equals("-") ? Paths.get(all.get(0)) : null,
                all.subList(file ? 1 : 0, all.size()));
        return new JobSettings(config);
    }

    private static int atLeast(Config c, String key, int min) {
        int v = c.getInt(key);
        if (v < min) throw new ConfigError("mlh." + key, "must be >= " + min + ", got " + v);
        return v;
    }

    /** A [min, max] pair with 0 < min <= max <= limit. */
    private static double[] range(Config c, String key, double limit) {
        List<Double> d = c.getDoubleList(key);
        if (d.size() != 2 || !(d.get(0) > 0) || d.get(0) > d.get(1) || d.get(1) > limit) {
            throw new ConfigError("mlh." + key, "needs [min, max] with 0 < min <= max" + (Double.isInfinite(limit) ? "" : " <= " + limit)
                    + ", got " + d);
        }
        return new double[] {d.get(0), d.get(1)};
    }

    /** One value per channel, or one value for all of them. */
    private static float[] perChannel(Config c, String key, int channels) {
        List<Double> d = c.getDoubleList(key);
        if (d.size() != 1 && d.size() != channels) {
            throw new ConfigError("mlh." + key, "needs 1 or " + channels + " values (one per input channel), got " + d.size());
        }
        float[] f = new float[channels];
        for (int i = 0; i < channels; i++) f[i] = d.get(d.size() == 1 ? 0 : i).floatValue();
        return f;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, Config c, String key) {
        String raw = c.getString(key);
        try {
            return Enum.valueOf(type, raw.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new ConfigError("mlh." + key, "unknown value '" + raw + "', expected one of "
                    + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
        }
    }
}
