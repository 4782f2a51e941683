package io.mlh.jobs.encode;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.inference.ImageEncoder;
import io.mlh.jobs.tables.CodeTable;
import java.util.EnumSet;
import java.util.Set;

/** The encode job's keys ({@code mlh.jobs.encode.*}, reference.conf says what each means), read and checked once. */
public final class EncodeSettings {
    /** What the encode job reads: the shard table, or the images of {@code data.*} directly. */
    public enum Input implements ConfigChoice {
        SHARDS,
        SOURCE
    }

    public static final Key<Input> INPUT = Key.choice("jobs.encode.input", Input.class);
    public static final Key<Boolean> CONTINUOUS = Key.bool("jobs.encode.continuous");
    public static final Key<Boolean> CONTINUOUS_INT8 = Key.bool("jobs.encode.continuous-int8");
    public static final Key<Boolean> GATES = Key.bool("jobs.encode.gates");

    public final Input input;
    public final int batchSize;
    /** Which optional columns the code table gets. */
    public final Set<CodeTable.Extra> extras = EnumSet.noneOf(CodeTable.Extra.class);

    public EncodeSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.input = r.get(INPUT);
        this.batchSize = r.get(ImageEncoder.BATCH_SIZE);
        if (r.get(CONTINUOUS)) extras.add(CodeTable.Extra.CONTINUOUS);
        if (r.get(CONTINUOUS_INT8)) extras.add(CodeTable.Extra.CONTINUOUS_INT8);
        if (r.get(GATES)) extras.add(CodeTable.Extra.GATES);
    }
}
