package io.mlh.jobs.source;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a data set is read as users have it ({@code data.*}): where, in which layout, with which split
 * protocol and bad-record policy, into how many partitions. The shard job reads it, and so do encode
 * and search when their input is the images themselves.
 */
public final class SourceSettings implements Serializable {
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

    public static final Key<Source> SOURCE = Key.choice("data.source", Source.class);
    public static final Key<String> ROOT = Key.string("data.root");
    public static final Key<String> FOLDER_SPLIT = Key.string("data.folder-split");
    public static final Key<String> QUERY_FOLDER = Key.string("data.query-folder");
    public static final Key<String> LIST_DIR = Key.string("data.list-dir");
    public static final Key<Integer> QUERIES_PER_CLASS = Key.integer("data.queries-per-class", 0);
    public static final Key<Integer> TRAIN_PER_CLASS = Key.integer("data.train-per-class", 0);
    public static final Key<Integer> SHARDS = Key.integer("data.shards", 1);
    public static final Key<Long> SHARD_SIZE = Key.bytes("data.shard-size", 0);
    public static final Key<BadRecordPolicy> ON_BAD_RECORD = Key.choice("data.on-bad-record", BadRecordPolicy.class);

    public final Source source;
    public final String root, listDir;
    /** {@code data.query-folder}: the sub-directory of root whose images are all the queries; "" = drawn per class. */
    public final String queryFolder;
    /** {@code data.folder-split} split at commas: the sub-directories of root whose images are pooled. */
    public final List<String> folderSplits;

    public final int queriesPerClass, trainPerClass, shards;
    /** data.shard-size: target bytes of images a shard file; 0 = {@link #shards} files. */
    public final long shardBytes;

    public final BadRecordPolicy onBadRecord;
    /** The model's class count and seed: labels are checked against the one, splits and shards drawn with the other. */
    public final int classes;

    public final long seed;

    public SourceSettings(MlhConfig model) {
        ConfigReader r = model.reader();
        this.source = r.get(SOURCE);
        this.root = r.get(ROOT);
        String folderSplit = r.get(FOLDER_SPLIT);
        List<String> splits = new ArrayList<>();
        for (String part : folderSplit.split(",")) {
            if (part.trim().isEmpty())
                throw r.error(FOLDER_SPLIT.name(), "has an empty entry: \"" + folderSplit + "\"");
            splits.add(part.trim());
        }
        this.folderSplits = Collections.unmodifiableList(splits);
        this.queryFolder = r.get(QUERY_FOLDER).trim();
        if (!queryFolder.isEmpty() && source != Source.FOLDER)
            throw r.error(QUERY_FOLDER.name(), "is for data.source = folder, not " + source.configName());
        if (splits.contains(queryFolder))
            throw r.error(
                    QUERY_FOLDER.name(),
                    "\"" + queryFolder + "\" is also in data.folder-split: its images "
                            + "would be queries and database alike");
        this.listDir = r.get(LIST_DIR).isEmpty() ? root : r.get(LIST_DIR);
        this.queriesPerClass = r.get(QUERIES_PER_CLASS);
        this.trainPerClass = r.get(TRAIN_PER_CLASS);
        this.shards = r.get(SHARDS);
        this.shardBytes = r.get(SHARD_SIZE);
        this.onBadRecord = r.get(ON_BAD_RECORD);
        this.classes = model.classes();
        this.seed = model.seed();
    }
}
