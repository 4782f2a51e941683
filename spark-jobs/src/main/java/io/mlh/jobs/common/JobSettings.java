package io.mlh.jobs.common;

import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import java.io.Serializable;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

/**
 * What every job reads: the model keys ({@link MlhConfig}), the tables' paths, where Spark runs and how
 * outputs are claimed and inputs checked. Each job reads its own keys into settings of its own
 * ({@code EncodeSettings}, {@code SearchSettings}, ...) from {@link #model}; the shared packages read
 * theirs ({@code SourceSettings}, {@code Framing}). Jobs take a HOCON file and {@code key=value}
 * overrides: {@code <job> conf/fashion-mnist.conf bits=32 paths.codes=hdfs://...}.
 */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 2L;

    public static final Key<String> SHARDS = Key.string("paths.shards");
    public static final Key<String> MODEL = Key.string("paths.model");
    public static final Key<String> CODES = Key.string("paths.codes");
    public static final Key<String> REPORT = Key.string("paths.report");
    public static final Key<String> NEIGHBOURS = Key.string("paths.neighbours");
    public static final Key<String> MASTER = Key.string("spark.master");
    public static final Key<Boolean> OVERWRITE = Key.bool("jobs.overwrite");
    public static final Key<Long> PROGRESS_INTERVAL = Key.millis("jobs.progress-interval", 0);
    public static final Key<Long> CLAIM_LEASE = Key.millis("jobs.claim-lease", 100);
    public static final Key<Boolean> BREAK_CLAIM = Key.bool("jobs.break-claim");
    public static final Key<Boolean> VERIFY_INPUTS = Key.bool("jobs.verify-inputs");

    public final MlhConfig model;
    public final String shardsPath, modelPath, codesPath, reportPath, neighboursPath, master;
    /** Replace an existing output instead of refusing to. */
    public final boolean overwrite;
    /** At most one progress line this often. */
    public final long progressIntervalMillis;
    /** How outputs are claimed ({@link OutputClaim}). */
    public final OutputClaim.Terms claims;
    /** Whether inputs' hashes are checked against their manifests too. */
    public final boolean verifyInputs;

    public JobSettings(MlhConfig model) {
        this.model = model;
        ConfigReader r = model.reader();
        this.shardsPath = r.get(SHARDS);
        this.modelPath = r.get(MODEL);
        this.codesPath = r.get(CODES);
        this.reportPath = r.get(REPORT);
        this.neighboursPath = r.get(NEIGHBOURS);
        this.master = r.get(MASTER);
        this.overwrite = r.get(OVERWRITE);
        this.progressIntervalMillis = r.get(PROGRESS_INTERVAL);
        this.claims = new OutputClaim.Terms(r.get(CLAIM_LEASE), r.get(BREAK_CLAIM), "");
        this.verifyInputs = r.get(VERIFY_INPUTS);
    }

    /** A code table key's value: "" means {@code paths.codes}. */
    public String codesOr(Key<String> key) {
        String path = model.reader().get(key);
        return path.isEmpty() ? codesPath : path;
    }

    /** args[0]: a HOCON file ("-" for none); the rest: key=value overrides. */
    public static JobSettings fromArgs(String[] args) {
        List<String> all = Arrays.asList(args);
        boolean file = !all.isEmpty() && !all.get(0).contains("=");
        MlhConfig config = MlhConfig.load(
                file && !all.get(0).equals("-") ? Paths.get(all.get(0)) : null, all.subList(file ? 1 : 0, all.size()));
        return new JobSettings(config);
    }
}
