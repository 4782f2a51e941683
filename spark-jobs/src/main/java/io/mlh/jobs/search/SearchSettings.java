package io.mlh.jobs.search;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.tables.Split;
import java.io.Serializable;

/** The search job's keys ({@code mlh.jobs.search.*}, reference.conf says what each means), read and checked once. */
public final class SearchSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the queries come from. */
    public enum Queries implements ConfigChoice {
        /** Rows of a committed code table. */
        CODES,
        /** Rows of the committed shard table, encoded with the model bundle. */
        SHARDS,
        /** Every image {@code data.*} describes, read and encoded with the model bundle. */
        SOURCE
    }

    public final Queries queries;
    public final String queryCodes, databaseCodes, neighbours;
    public final Split querySplit, databaseSplit;
    public final int k, maxDistance, partitions;
    /** Queries {@code _gallery.html} shows (0: none). */
    public final int galleryQueries;

    public final long queryBlockBytes;

    public SearchSettings(JobSettings s) {
        ConfigReader r = new ConfigReader(s.model.underlying().getConfig(MlhConfig.ROOT), MlhConfig.ROOT);
        this.queries = r.choice("jobs.search.queries", Queries.class);
        String q = r.string("jobs.search.query-codes"), d = r.string("jobs.search.database-codes");
        this.queryCodes = q.isEmpty() ? s.codesPath : q;
        this.databaseCodes = d.isEmpty() ? s.codesPath : d;
        this.querySplit = r.choice("jobs.search.query-split", Split.class);
        this.databaseSplit = r.choice("jobs.search.database-split", Split.class);
        this.neighbours = r.string("paths.neighbours");
        this.k = r.integer("jobs.search.k", 1);
        this.maxDistance = r.integer("jobs.search.max-distance", -1);
        this.partitions = r.integer("jobs.search.partitions", 0);
        this.queryBlockBytes = r.bytes("jobs.search.query-block-memory", 1024);
        this.galleryQueries = r.integer("jobs.search.gallery-queries", 0);
    }
}
