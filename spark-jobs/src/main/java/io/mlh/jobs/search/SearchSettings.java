package io.mlh.jobs.search;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.RerankSettings;
import io.mlh.jobs.tables.Split;

/** The search job's keys ({@code mlh.jobs.search.*}, reference.conf says what each means), read and checked once. */
public final class SearchSettings {
    /** Where the queries come from. */
    public enum Queries implements ConfigChoice {
        /** Rows of a committed code table. */
        CODES,
        /** Rows of the committed shard table, encoded with the model bundle. */
        SHARDS,
        /** Every image {@code data.*} describes, read and encoded with the model bundle. */
        SOURCE
    }

    public static final Key<Queries> QUERIES = Key.choice("jobs.search.queries", Queries.class);
    public static final Key<String> QUERY_CODES = Key.string("jobs.search.query-codes");
    public static final Key<Split> QUERY_SPLIT = Key.choice("jobs.search.query-split", Split.class);
    public static final Key<String> DATABASE_CODES = Key.string("jobs.search.database-codes");
    public static final Key<Split> DATABASE_SPLIT = Key.choice("jobs.search.database-split", Split.class);
    public static final Key<Integer> K = Key.integer("jobs.search.k", 1);
    public static final Key<Integer> MAX_DISTANCE = Key.integer("jobs.search.max-distance", -1);
    public static final Key<Integer> PARTITIONS = Key.integer("jobs.search.partitions", 0);
    public static final Key<Long> QUERY_BLOCK_MEMORY = Key.bytes("jobs.search.query-block-memory", 1024);
    public static final Key<Integer> GALLERY_QUERIES = Key.integer("jobs.search.gallery-queries", 0);

    public final Queries queries;
    /** The code tables ("" in the config: paths.codes) and the neighbours table written. */
    public final String queryCodes, databaseCodes, neighbours;

    public final Split querySplit, databaseSplit;
    public final int k, maxDistance, partitions;
    /** Queries {@code _gallery.html} shows (0: none). */
    public final int galleryQueries;

    public final long queryBlockBytes;
    /** The second stage of each query's ranking ({@code jobs.rerank}). */
    public final Refinement rerank;

    public SearchSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.queries = r.get(QUERIES);
        this.queryCodes = s.codesOr(QUERY_CODES);
        this.databaseCodes = s.codesOr(DATABASE_CODES);
        this.querySplit = r.get(QUERY_SPLIT);
        this.databaseSplit = r.get(DATABASE_SPLIT);
        this.neighbours = s.neighboursPath;
        this.k = r.get(K);
        this.maxDistance = r.get(MAX_DISTANCE);
        this.partitions = r.get(PARTITIONS);
        this.queryBlockBytes = r.get(QUERY_BLOCK_MEMORY);
        this.galleryQueries = r.get(GALLERY_QUERIES);
        this.rerank = RerankSettings.of(s);
    }
}
