package io.mlh.jobs.tables;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The neighbours table: one Parquet row per (query, rank), written by the search job.
 *
 * <pre>
 * column        type         meaning
 * query_id      long         the query's id (its code or shard table's; for source images, its catalogue position)
 * rank          int          1 = the nearest; ranks are dense: 1..k, or fewer within jobs.search.max-distance
 * id            long         the database row's id
 * distance      int          Hamming distance between the two codes
 * query_labels  array&lt;int&gt;   the query's multi-hot labels (as its table or source has them)
 * labels        array&lt;int&gt;   the database row's multi-hot labels
 * query_source  string       (queries from the shard table or the source images) the query image's path
 * score         double       (jobs.rerank.mode = refine) the cosine of the two int8 continuous codes
 * </pre>
 *
 * <p>Order: ascending distance, ties by ascending id, as evaluation ranks; with re-ranking, the first
 * jobs.rerank.candidates of that order by descending score, ties by id ({@code Refinement}). Files:
 * sorted by query id and rank, committed as a whole ({@code CommittedOutput}).
 */
public final class NeighbourTable {
    private NeighbourTable() {}

    public static final String QUERY_SOURCE = "query_source", SCORE = "score";

    private static final StructType COMMON = new StructType()
            .add("query_id", DataTypes.LongType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add("id", DataTypes.LongType, false)
            .add("distance", DataTypes.IntegerType, false)
            .add("query_labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

    /** The schema, with the {@code query_source} column when the queries are images, and {@code score} when re-ranked. */
    public static StructType schema(boolean querySources, boolean scores) {
        StructType t = querySources ? COMMON.add(QUERY_SOURCE, DataTypes.StringType, false) : COMMON;
        return scores ? t.add(SCORE, DataTypes.DoubleType, false) : t;
    }
}
