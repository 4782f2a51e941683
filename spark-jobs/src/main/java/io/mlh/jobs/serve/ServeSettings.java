package io.mlh.jobs.serve;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.tables.Split;

/** The query service's keys ({@code mlh.jobs.serve.*}, reference.conf says what each means), read and checked once. */
final class ServeSettings {
    /** How the service finds a query's neighbours; both are exact. */
    enum Index implements ConfigChoice {
        /** Every code compared ({@code HammingRanker}). */
        FLAT,
        /** Multi-index hashing ({@code MultiIndexHashing}). */
        MULTI_INDEX
    }

    final String host, codes, model, shards;
    final Split databaseSplit;
    final int port, threads, encoders, batch, substrings, maxK;
    final Index index;
    final long maxBody;

    ServeSettings(JobSettings s) {
        ConfigReader r = new ConfigReader(s.model.underlying().getConfig(MlhConfig.ROOT), MlhConfig.ROOT);
        this.host = r.string("jobs.serve.host");
        this.port = r.integer("jobs.serve.port", 0);
        if (port > 65535) throw r.error("jobs.serve.port", "must be at most 65535, got " + port);
        this.threads = r.integer("jobs.serve.threads", 1);
        int encoders = r.integer("jobs.serve.encoders", 0);
        // 0: one on MKL-DNN, where BigDL runs every forward pass on one thread of its own, else one a core
        this.encoders = encoders > 0
                ? encoders
                : s.model.engine() == MlhConfig.Engine.MKLDNN
                        ? 1
                        : Runtime.getRuntime().availableProcessors();
        this.batch = r.integer("jobs.serve.batch", 2); // BigDL's loaded reshape layers need a batch of two
        this.databaseSplit = r.choice("jobs.serve.database-split", Split.class);
        this.index = r.choice("jobs.serve.index", Index.class);
        this.substrings = r.integer("jobs.serve.substrings", 0);
        this.maxK = r.integer("jobs.serve.max-k", 1);
        this.maxBody = r.bytes("jobs.serve.max-body", 1);
        this.codes = s.codesPath;
        this.model = s.modelPath;
        this.shards = s.shardsPath;
    }
}
