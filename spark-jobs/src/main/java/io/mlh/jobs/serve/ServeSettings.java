package io.mlh.jobs.serve;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.RerankSettings;
import io.mlh.jobs.inference.Precision;
import io.mlh.jobs.tables.Split;

/** The query service's keys ({@code mlh.jobs.serve.*}, reference.conf says what each means), read and checked once. */
public final class ServeSettings {
    /** How the service finds a query's neighbours; both are exact. */
    enum Index implements ConfigChoice {
        /** Every code compared ({@code HammingRanker}). */
        FLAT,
        /** Multi-index hashing ({@code MultiIndexHashing}). */
        MULTI_INDEX
    }

    static final Key<String> HOST = Key.string("jobs.serve.host");
    static final Key<Integer> PORT = Key.integer("jobs.serve.port", 0, 65535);
    static final Key<Integer> THREADS = Key.integer("jobs.serve.threads", 1);
    static final Key<Integer> ENCODERS = Key.integer("jobs.serve.encoders", 0);
    static final Key<Integer> BATCH = Key.integer("jobs.serve.batch", 2); // BigDL's loaded reshape layers need two
    public static final Key<Precision> PRECISION = Key.choice("jobs.serve.precision", Precision.class);
    static final Key<Split> DATABASE_SPLIT = Key.choice("jobs.serve.database-split", Split.class);
    static final Key<Index> INDEX = Key.choice("jobs.serve.index", Index.class);
    static final Key<Integer> SUBSTRINGS = Key.integer("jobs.serve.substrings", 0);
    static final Key<Integer> MAX_K = Key.integer("jobs.serve.max-k", 1);
    static final Key<Long> MAX_BODY = Key.bytes("jobs.serve.max-body", 1);
    static final Key<Integer> MAX_UPLOADS = Key.integer("jobs.serve.max-uploads", 1);
    static final Key<String> ADMIN_TOKEN_FILE = Key.string("jobs.serve.admin-token-file");
    static final Key<String> SEARCH_TOKEN_FILE = Key.string("jobs.serve.search-token-file");

    final String host, codes, model, shards, adminTokenFile, searchTokenFile;
    final Split databaseSplit;
    final int port, threads, encoders, batch, substrings, maxK, maxUploads;
    final Index index;
    final long maxBody;
    final boolean verifyInputs;
    /** The second stage of every answer's ranking ({@code jobs.rerank}). */
    final Refinement rerank;

    public ServeSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.host = r.get(HOST);
        this.port = r.get(PORT);
        this.threads = r.get(THREADS);
        int encoders = r.get(ENCODERS);
        // 0: one on MKL-DNN, where BigDL runs every forward pass on one thread of its own, else one a core
        this.encoders = encoders > 0
                ? encoders
                : s.model.engine() == MlhConfig.Engine.MKLDNN
                        ? 1
                        : Runtime.getRuntime().availableProcessors();
        this.batch = r.get(BATCH);
        this.databaseSplit = r.get(DATABASE_SPLIT);
        this.index = r.get(INDEX);
        this.substrings = r.get(SUBSTRINGS);
        this.maxK = r.get(MAX_K);
        this.maxBody = r.get(MAX_BODY);
        this.maxUploads = r.get(MAX_UPLOADS);
        this.adminTokenFile = r.get(ADMIN_TOKEN_FILE);
        this.searchTokenFile = r.get(SEARCH_TOKEN_FILE);
        this.codes = s.codesPath;
        this.model = s.modelPath;
        this.shards = s.shardsPath;
        this.verifyInputs = s.verifyInputs;
        this.rerank = RerankSettings.of(s);
    }
}
