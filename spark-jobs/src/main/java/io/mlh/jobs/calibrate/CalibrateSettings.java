package io.mlh.jobs.calibrate;

import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.jobs.common.JobSettings;

/** The calibrate job's keys ({@code mlh.jobs.calibrate.*}, reference.conf says what each means), read and checked once. */
public final class CalibrateSettings {
    static final Key<Integer> IMAGES = Key.integer("jobs.calibrate.images", 1);
    static final Key<Integer> SEED = Key.integer("jobs.calibrate.seed");
    static final Key<Integer> BATCH_SIZE = Key.integer("jobs.calibrate.batch-size", 2);
    static final Key<String> OUTPUT = Key.string("jobs.calibrate.output");

    final int images, seed, batchSize;
    /** The calibrated bundle's path. */
    final String output;

    CalibrateSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.images = r.get(IMAGES);
        this.seed = r.get(SEED);
        this.batchSize = r.get(BATCH_SIZE);
        String out = r.get(OUTPUT);
        this.output = out.isEmpty() ? s.modelPath + "-int8" : out;
    }
}
