package io.mlh.jobs.train;

import io.mlh.jobs.tables.Split;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The rows {@link EpochReport} measures, chosen once and cached on the executors as encoded images: a
 * fixed probe batch of training images, and held-out query and database rows spread over the table.
 * Only their labels come to the driver.
 */
final class ReportRows {
    /** Training images the loss terms are reported on. */
    static final int PROBE = 256;

    /** position -> row: the probe, then the queries, then the database. */
    final JavaPairRDD<Long, Row> rows;

    final int probe, queries, database;
    /** Every row's label vector, by position. */
    final float[][] labels;

    private ReportRows(JavaPairRDD<Long, Row> rows, int probe, int queries, int database, float[][] labels) {
        this.rows = rows;
        this.probe = probe;
        this.queries = queries;
        this.database = database;
        this.labels = labels;
    }

    /**
     * The probe (the first {@link #PROBE} rows of {@code train}, in id order) and the held-out rows of
     * {@code shards} ({@code queries} and {@code database} of them, drawn with {@code seed}); no
     * validation rows when either is 0 or the table has no query or database rows.
     */
    static ReportRows of(Dataset<Row> shards, Dataset<Row> train, int queries, int database, long seed) {
        Dataset<Row> all = part(train.orderBy("id").limit(PROBE).selectExpr(ShardSamples.COLUMNS), PROBE_PART);
        if (queries > 0 && database > 0) {
            all = all.union(part(heldOut(shards, Split.QUERY.value(), queries, seed), QUERY_PART))
                    .union(part(heldOut(shards, Split.DATABASE.value(), database, seed), DATABASE_PART));
        }
        // the few selected rows cached before numbering: zipWithIndex runs a job of its own, so the
        // shard table is scanned once for them, not once a job
        all = all.persist(StorageLevel.MEMORY_AND_DISK());
        int partitions = shards.sparkSession().sparkContext().defaultParallelism();
        JavaPairRDD<Long, Row> indexed = all.toJavaRDD()
                .zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .repartition(partitions)
                .persist(StorageLevel.MEMORY_AND_DISK());
        List<Tuple2<Long, Tuple2<Integer, float[]>>> y = indexed.mapValues(
                        r -> new Tuple2<>(r.<Integer>getAs(PART), ShardSamples.labels(r)))
                .collect();
        all.unpersist(false);
        float[][] labels = new float[y.size()][];
        int[] counts = new int[3];
        for (Tuple2<Long, Tuple2<Integer, float[]>> t : y) {
            labels[(int) (long) t._1()] = t._2()._2();
            counts[t._2()._1()]++;
        }
        boolean validates = counts[QUERY_PART] > 0 && counts[DATABASE_PART] > 0;
        return new ReportRows(
                indexed,
                counts[PROBE_PART],
                validates ? counts[QUERY_PART] : 0,
                validates ? counts[DATABASE_PART] : 0,
                labels);
    }

    /** Which of the three row sets a row belongs to; the union keeps them in this order, so positions follow it. */
    private static final String PART = "part";

    private static final int PROBE_PART = 0, QUERY_PART = 1, DATABASE_PART = 2;

    private static Dataset<Row> part(Dataset<Row> rows, int part) {
        return rows.withColumn(PART, functions.lit(part));
    }

    /**
     * n rows of the split spread over the whole table, the same every epoch: image folders catalogue
     * class by class, so the first n ids would all be one class (and every item relevant: mAP 1).
     */
    private static Dataset<Row> heldOut(Dataset<Row> shards, String split, int n, long seed) {
        return shards.filter(shards.col("split").equalTo(split))
                .orderBy(functions.hash(shards.col("id"), functions.lit(seed)), shards.col("id"))
                .limit(n)
                .selectExpr(ShardSamples.COLUMNS);
    }

    int queries() {
        return queries;
    }

    int database() {
        return database;
    }

    boolean validates() {
        return queries > 0;
    }

    /** The held-out queries' label vectors. */
    float[][] queryLabels() {
        return Arrays.copyOfRange(labels, probe, probe + queries);
    }

    /** Unpersists the cached rows. */
    void release() {
        rows.unpersist(false);
    }
}
