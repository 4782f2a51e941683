package io.mlh.jobs.evaluate;

import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.RerankSettings;
import java.util.List;

/** The evaluate job's keys ({@code mlh.jobs.evaluate.*}, reference.conf says what each means), read and checked once. */
public final class EvaluateSettings {
    public static final Key<String> QUERY_CODES = Key.string("jobs.evaluate.query-codes");
    public static final Key<String> DATABASE_CODES = Key.string("jobs.evaluate.database-codes");
    public static final Key<Integer> MAP_AT = Key.integer("jobs.evaluate.map-at", 0);
    public static final Key<List<Integer>> PRECISION_AT = Key.integers("jobs.evaluate.precision-at", 1);
    public static final Key<Integer> PARTITIONS = Key.integer("jobs.evaluate.partitions", 0);
    public static final Key<List<String>> COMPARE_REPORTS = Key.strings("jobs.evaluate.compare-reports");
    public static final Key<Integer> GALLERY_QUERIES = Key.integer("jobs.evaluate.gallery-queries", 0);

    /** The code tables of the queries and of the database ("" in the config: paths.codes). */
    public final String queryCodes, databaseCodes, report;
    /** The mAP cut: mAP@mapAt, 0 = the whole database. */
    public final int mapAt;

    public final int[] precisionAt;
    /** Database partitions (0: Spark's default parallelism). */
    public final int partitions;
    /** Other report directories whose metrics.json join this report's mAP-by-bits plot. */
    public final List<String> compareReports;
    /** Queries the report's retrieval gallery shows (0: no gallery). */
    public final int galleryQueries;
    /** The second stage of the ranking the figures measure ({@code jobs.rerank}). */
    public final Refinement rerank;

    public EvaluateSettings(JobSettings s) {
        ConfigReader r = s.model.reader();
        this.queryCodes = s.codesOr(QUERY_CODES);
        this.databaseCodes = s.codesOr(DATABASE_CODES);
        this.report = s.reportPath;
        this.mapAt = r.get(MAP_AT);
        this.precisionAt =
                r.get(PRECISION_AT).stream().mapToInt(Integer::intValue).toArray();
        this.partitions = r.get(PARTITIONS);
        this.compareReports = r.get(COMPARE_REPORTS);
        this.galleryQueries = r.get(GALLERY_QUERIES);
        this.rerank = RerankSettings.of(s);
    }
}
