package io.mlh.jobs.common;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.MlhConfig;
import java.io.Serializable;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The job keys (spark-jobs' reference.conf) next to the model keys of {@link MlhConfig}: one
 * validated, serialisable object a job reads everything from. Jobs take a HOCON file and
 * {@code key=value} overrides: {@code <job> conf/fashion-mnist.conf bits=32 paths.codes=hdfs://...}.
 */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Source implements ConfigChoice {
        IDX,
        FOLDER,
        LIST
    }

    public enum BadRecordPolicy implements ConfigChoice {
        FAIL,
        SKIP
    }

    /** What the encode job reads: the shard table, or the images of {@code data.*} directly. */
    public enum EncodeInput implements ConfigChoice {
        SHARDS,
        SOURCE
    }

    public final MlhConfig model;
    public final Source source;
    public final String root, folderSplit, listDir;
    /** {@code data.query-folder}: the sub-directory of root whose images are all the queries; "" = drawn per class. */
    public final String queryFolder;
    /** {@code data.folder-split} split at commas: the sub-directories of root whose images are pooled. */
    public final List<String> folderSplits;

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
    /** Evaluate: queries the report's retrieval gallery shows (0: no gallery). */
    public final int galleryQueries;
    /** Train: where TensorBoard event files go; held-out queries and database rows for the per-epoch validation mAP. */
    public final String tensorboardDir;

    public final int validationQueries, validationDatabase;
    /** Shard, encode, evaluate: at most one progress line this often. */
    public final long progressIntervalMillis;
    /** Every job: how it claims its outputs ({@link OutputClaim}); whether it checks its inputs' hashes. */
    public final OutputClaim.Terms claims;

    public final boolean verifyInputs;

    public JobSettings(MlhConfig model) {
        this.model = model;
        ConfigReader r = new ConfigReader(model.underlying().getConfig(MlhConfig.ROOT), MlhConfig.ROOT);
        this.source = r.choice("data.source", Source.class);
        this.root = r.string("data.root");
        this.folderSplit = r.string("data.folder-split");
        List<String> splits = new ArrayList<>();
        for (String part : folderSplit.split(",")) {
            if (part.trim().isEmpty())
                throw r.error("data.folder-split", "has an empty entry: \"" + folderSplit + "\"");
            splits.add(part.trim());
        }
        this.folderSplits = Collections.unmodifiableList(splits);
        this.queryFolder = r.string("data.query-folder").trim();
        if (!queryFolder.isEmpty() && source != Source.FOLDER)
            throw r.error("data.query-folder", "is for data.source = folder, not " + source.configName());
        if (splits.contains(queryFolder))
            throw r.error(
                    "data.query-folder",
                    "\"" + queryFolder + "\" is also in data.folder-split: its images "
                            + "would be queries and database alike");
        this.listDir = r.string("data.list-dir").isEmpty() ? root : r.string("data.list-dir");
        this.queriesPerClass = r.integer("data.queries-per-class", 0);
        this.trainPerClass = r.integer("data.train-per-class", 0);
        this.shards = r.integer("data.shards", 1);
        this.shardBytes = r.bytes("data.shard-size", 0);
        this.onBadRecord = r.choice("data.on-bad-record", BadRecordPolicy.class);
        this.flip = r.bool("data.augment.flip");
        this.cropPadding = r.integer("data.augment.crop-padding", 0, model.inputSize() - 1);
        boolean resizedCrop = r.bool("data.augment.resized-crop");
        this.cropScale = resizedCrop ? range(r, "data.augment.crop-scale", 1) : null;
        this.cropRatio = resizedCrop ? range(r, "data.augment.crop-ratio", Double.POSITIVE_INFINITY) : null;
        this.centreCrop = r.number("data.centre-crop", 0);
        if (!(centreCrop <= 1)) throw r.error("data.centre-crop", "must be in [0, 1], got " + centreCrop);
        this.mean = perChannel(r, "data.mean", model.inputChannels());
        this.std = perChannel(r, "data.std", model.inputChannels());
        for (float s : std) if (!(s > 0)) throw r.error("data.std", "must be > 0");
        this.shardsPath = r.string("paths.shards");
        this.modelPath = r.string("paths.model");
        this.codesPath = r.string("paths.codes");
        this.reportPath = r.string("paths.report");
        this.master = r.string("spark.master");
        this.overwrite = r.bool("jobs.overwrite");
        this.progressIntervalMillis = r.millis("jobs.progress-interval");
        long lease = r.millis("jobs.claim-lease");
        if (lease < 100) throw r.error("jobs.claim-lease", "must be at least 100ms, got " + lease + "ms");
        this.claims = new OutputClaim.Terms(lease, r.bool("jobs.break-claim"), "");
        this.verifyInputs = r.bool("jobs.verify-inputs");

        this.resume = r.bool("jobs.train.resume");
        this.epochRetries = r.integer("jobs.train.epoch-retries", 0);
        this.tensorboard = r.bool("jobs.train.tensorboard");
        String eventDir = r.string("jobs.train.tensorboard-dir");
        this.tensorboardDir = eventDir.isEmpty() ? modelPath + "-tensorboard" : eventDir;
        this.validationQueries = r.integer("jobs.train.validation-queries", 0);
        this.validationDatabase = r.integer("jobs.train.validation-database", 0);

        this.encodeInput = r.choice("jobs.encode.input", EncodeInput.class);
        this.encodeBatchSize = r.integer("jobs.encode.batch-size", 1);
        this.continuous = r.bool("jobs.encode.continuous");
        this.gates = r.bool("jobs.encode.gates");

        String queryCodes = r.string("jobs.evaluate.query-codes"),
                databaseCodes = r.string("jobs.evaluate.database-codes");
        this.queryCodesPath = queryCodes.isEmpty() ? codesPath : queryCodes;
        this.databaseCodesPath = databaseCodes.isEmpty() ? codesPath : databaseCodes;
        this.topK = r.integer("jobs.evaluate.top-k", 0);
        this.precisionAt = r.integers("jobs.evaluate.precision-at", 1).stream()
                .mapToInt(Integer::intValue)
                .toArray();
        this.evaluatePartitions = r.integer("jobs.evaluate.partitions", 0);
        this.compareReports = r.strings("jobs.evaluate.compare-reports");
        this.galleryQueries = r.integer("jobs.evaluate.gallery-queries", 0);
    }

    /** args[0]: a HOCON file ("-" for none); the rest: key=value overrides. */
    public static JobSettings fromArgs(String[] args) {
        List<String> all = Arrays.asList(args);
        boolean file = !all.isEmpty() && !all.get(0).contains("=");
        MlhConfig config = MlhConfig.load(
                file && !all.get(0).equals("-") ? Paths.get(all.get(0)) : null, all.subList(file ? 1 : 0, all.size()));
        return new JobSettings(config);
    }

    /** A [min, max] pair with 0 < min <= max <= limit. */
    private static double[] range(ConfigReader r, String key, double limit) {
        List<Double> d = r.numbers(key);
        if (d.size() != 2 || !(d.get(0) > 0) || d.get(0) > d.get(1) || d.get(1) > limit) {
            throw r.error(
                    key,
                    "needs [min, max] with 0 < min <= max" + (Double.isInfinite(limit) ? "" : " <= " + limit) + ", got "
                            + d);
        }
        return new double[] {d.get(0), d.get(1)};
    }

    /** One value per channel, or one value for all of them. */
    private static float[] perChannel(ConfigReader r, String key, int channels) {
        List<Double> d = r.numbers(key);
        if (d.size() != 1 && d.size() != channels) {
            throw r.error(key, "needs 1 or " + channels + " values (one per input channel), got " + d.size());
        }
        float[] f = new float[channels];
        for (int i = 0; i < channels; i++) f[i] = d.get(d.size() == 1 ? 0 : i).floatValue();
        return f;
    }
}
