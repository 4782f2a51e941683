package io.mlh.jobs.evaluate;

import static org.apache.spark.sql.functions.col;

import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.RerankSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.gallery.Gallery;
import io.mlh.jobs.tables.CodeSplit;
import io.mlh.jobs.tables.Split;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Retrieval quality of a code table: the queries (split = query of {@code jobs.evaluate.query-codes}) against
 * the database (split = database of {@code jobs.evaluate.database-codes}), by the metrics of
 * {@link io.mlh.core.eval.RetrievalMetrics} and with exactly its numbers. Writes
 * {@code <paths.report>/metrics.json} and {@code report.html} with its plots ({@link HtmlReport}), committed
 * atomically, and prints a short table. The report's retrieval gallery ({@link Gallery}) shows a few queries'
 * nearest database images, ranked apart from the metrics' passes (which keep no neighbour lists).
 *
 * <p>The queries are collected and broadcast; the database is range-partitioned by id, sorted within
 * partitions, and walked twice without any of its rows reaching the driver. Ranks go by distance,
 * then id, so a partition's items at one distance from a query hold consecutive global ranks.
 * <ol>
 *   <li>Each partition counts, per query, its items and relevant items at each distance
 *       ({@link DistanceCounts}); that alone gives the PR curve.
 *   <li>The driver turns the counts into per-partition rank offsets and the cuts K and N
 *       ({@link Ranking#offsets}) and broadcasts them ({@link RankOffsets}).
 *   <li>Each partition walks its rows again, ranks every relevant item exactly, and returns per query
 *       only the AP numerator within K and the relevant items within each cut ({@link CutSums}).
 * </ol>
 * The driver holds about queries x partitions x (bits + 1) counts (partitions = {@code
 * jobs.evaluate.partitions}, by default Spark's default parallelism), the same for any database
 * size; each task holds the queries, the offsets and one row at a time (plus Spark's sort, which
 * spills). The price is a second pass over the database.
 */
public final class EvaluateJob {
    private static final Logger LOG = Logger.getLogger(EvaluateJob.class);
    public static final String METRICS = "metrics.json";

    private EvaluateJob() {}

    public static final Command COMMAND = new Command(
            "mlh-evaluate",
            "mlh-encode.jar",
            EvaluateJob.class,
            "Ranks the database codes for every query code by Hamming distance and writes the retrieval\n"
                    + "figures (mAP, precision@N, precision and recall by radius) and report.html to paths.report.",
            Command.keys(Arrays.asList(EvaluateSettings.class, RerankSettings.class, JobSettings.class)));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, (spark, s) -> MetricsReport.table(run(spark, s)));
    }

    /** Every figure of one evaluation; {@code mapAt}: the mAP cut as configured, 0 = the whole database. */
    public static final class Result {
        public final String queryCodes, databaseCodes, report;
        public final int bits, queries, database, mapAt;
        /** The ranking's second stage. */
        public final Refinement rerank;

        public final double map, precisionWithinRadius2;
        /** precision@N for N = precisionAt[j] (N capped at the database size). */
        public final int[] precisionAt;

        public final double[] precisionAtN;
        /** Mean precision and recall within Hamming radius r, r = 0..bits. */
        public final double[] precisionByRadius, recallByRadius;

        Result(
                EvaluateSettings e,
                int bits,
                int queries,
                int database,
                double map,
                int[] precisionAt,
                double[] precisionAtN,
                double[] precisionByRadius,
                double[] recallByRadius) {
            this.queryCodes = e.queryCodes;
            this.databaseCodes = e.databaseCodes;
            this.report = e.report;
            this.bits = bits;
            this.queries = queries;
            this.database = database;
            this.mapAt = e.mapAt;
            this.rerank = e.rerank;
            this.map = map;
            this.precisionAt = precisionAt;
            this.precisionAtN = precisionAtN;
            this.precisionByRadius = precisionByRadius;
            this.recallByRadius = recallByRadius;
            this.precisionWithinRadius2 = precisionByRadius[Math.min(2, bits)];
        }

        @Override
        public String toString() {
            return MetricsReport.table(this);
        }
    }

    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        EvaluateSettings e = new EvaluateSettings(s);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        CodeSplit queryTable = open(spark, e.queryCodes, Split.QUERY, e, s.verifyInputs);
        CodeSplit databaseTable = open(spark, e.databaseCodes, Split.DATABASE, e, s.verifyInputs);
        if (databaseTable.bits != queryTable.bits) {
            throw new IllegalArgumentException(databaseTable.name + " has " + databaseTable.bits + "-bit codes but "
                    + queryTable.name + " has " + queryTable.bits + "-bit codes");
        }
        if (databaseTable.labelWidth != queryTable.labelWidth) {
            throw new IllegalArgumentException(databaseTable.name + " has labels of " + databaseTable.labelWidth
                    + " classes but " + queryTable.name + " has " + queryTable.labelWidth);
        }
        if (databaseTable.count > Integer.MAX_VALUE)
            throw new IllegalArgumentException(databaseTable.name + " has more than 2^31 - 1 rows");

        List<HtmlReport.Point> compared =
                HtmlReport.read(hadoop, e.compareReports); // a missing report fails before the work too
        CommittedOutput.requireWritable(hadoop, s.reportPath, s.overwrite); // an existing report fails before the work
        Result result = CommittedOutput.write(spark, s.reportPath, s.overwrite, s.claims, staging -> {
            Result r = evaluate(spark, e, s.progressIntervalMillis, queryTable, databaseTable);
            MetricsReport.write(hadoop, r, staging);
            String gallery = e.galleryQueries > 0
                    ? Gallery.forEvaluation(
                            spark,
                            queryTable,
                            databaseTable,
                            e.galleryQueries,
                            e.partitions,
                            e.rerank,
                            s.shardsPath,
                            s.verifyInputs)
                    : null;
            HtmlReport.write(hadoop, r, compared, gallery, staging);
            return r;
        });
        LOG.info("evaluation written to " + s.reportPath + "/" + METRICS + " and " + HtmlReport.PAGE);
        return result;
    }

    /** A split checked, with its int8 codes when re-ranking (a table without them refused before any work). */
    private static CodeSplit open(SparkSession spark, String path, Split split, EvaluateSettings e, boolean verify)
            throws IOException {
        CodeSplit table = CodeSplit.open(spark, path, split, verify);
        return e.rerank.reranks() ? table.withInt8("mlh.jobs.rerank.mode = refine") : table;
    }

    private static Result evaluate(
            SparkSession spark,
            EvaluateSettings e,
            long progressMillis,
            CodeSplit queryTable,
            CodeSplit databaseTable) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        QuerySet queries = QuerySet.collect(queryTable);
        Broadcast<QuerySet> sharedQueries = sc.broadcast(queries);
        Broadcast<RankOffsets> sharedOffsets = null;
        try {
            // id ranges, each sorted: the order the rank arithmetic needs. Both passes run this one RDD, so they
            // share its shuffle (pass 2 re-reads the shuffle files) and see the same partitions.
            int partitions =
                    e.partitions > 0 ? e.partitions : spark.sparkContext().defaultParallelism();
            JavaRDD<Row> database = databaseTable
                    .packedRows(spark)
                    .repartitionByRange(partitions, col("id"))
                    .sortWithinPartitions("id")
                    .toJavaRDD();
            long t0 = System.nanoTime();
            List<DistanceCounts> counts;
            try (Progress p = Progress.start(
                    spark.sparkContext(), "evaluate pass 1", "items", databaseTable.count, progressMillis)) {
                counts = refusalOf(() -> p.counted(database)
                        .mapPartitionsWithIndex(new DistanceCounts.Count(sharedQueries, databaseTable.name), false)
                        .collect());
            }
            long t1 = System.nanoTime();
            Ranking ranking = Ranking.of(counts, queries.size, queries.bits);
            if (ranking.database != databaseTable.count) {
                throw new IllegalStateException(databaseTable.name + " changed while being read: " + databaseTable.count
                        + " rows counted, " + ranking.database + " ranked");
            }
            sharedOffsets =
                    sc.broadcast(ranking.offsets(e.mapAt, e.precisionAt, e.rerank, database.getNumPartitions()));
            try (Progress p = Progress.start(
                    spark.sparkContext(), "evaluate pass 2", "items", databaseTable.count, progressMillis)) {
                // p.counted keeps the partitions and their indexes, which the offsets are per
                ranking.add(p.counted(database)
                        .mapPartitionsWithIndex(
                                new CutSums.Sum(sharedQueries, sharedOffsets, databaseTable.name), false)
                        .collect());
            }
            LOG.info(String.format(
                    java.util.Locale.ROOT,
                    "%d queries x %d database items in %d partitions: pass 1 (counts) %.1f s, pass 2 (sums) %.1f s",
                    queries.size,
                    ranking.database,
                    database.getNumPartitions(),
                    (t1 - t0) / 1e9,
                    (System.nanoTime() - t1) / 1e9));

            double[] pn = new double[e.precisionAt.length];
            for (int j = 0; j < pn.length; j++) pn[j] = ranking.precisionAt(j);
            double[][] pr = ranking.precisionRecallByRadius();
            return new Result(
                    e,
                    queries.bits,
                    queries.size,
                    ranking.database,
                    ranking.meanAveragePrecision(),
                    e.precisionAt.clone(),
                    pn,
                    pr[0],
                    pr[1]);
        } finally {
            sharedQueries.destroy();
            if (sharedOffsets != null) sharedOffsets.destroy();
        }
    }

    /** A Spark action, with a bad input found by a task (e.g. duplicate ids) rethrown as the task threw it. */
    private static <T> T refusalOf(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) { // Spark's job failure is a checked SparkException, thrown undeclared
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IllegalArgumentException) throw (IllegalArgumentException) t;
            }
            if (e instanceof RuntimeException) throw (RuntimeException) e;
            throw new IllegalStateException("evaluation failed: " + e.getMessage(), e);
        }
    }
}
