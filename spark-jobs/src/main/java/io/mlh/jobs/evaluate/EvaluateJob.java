package io.mlh.jobs.evaluate;

import static org.apache.spark.sql.functions.col;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * Retrieval quality of a code table: the queries (split = query of {@code jobs.query-codes}) against
 * the database (split = database of {@code jobs.database-codes}), by the metrics of
 * {@link io.mlh.core.eval.RetrievalMetrics} and with exactly its numbers. Writes
 * {@code <paths.report>/metrics.json}, committed atomically, and prints a short table.
 *
 * <p>The queries are collected and broadcast; the database is range-partitioned by id and never
 * reaches the driver. Each partition reports per query its per-distance counts and its relevant
 * items among its first L = max(K, max N) by (distance, id) ({@link PartitionSummary}); the driver
 * places them into exact global ranks ({@link Ranking}). Driver memory is therefore about queries x
 * (partitions x (bits + 1) counts + relevant items in the first L). With {@code jobs.top-k = 0}
 * (mAP over the whole database) L is the database size, so that is every relevant item of every
 * query: for Fashion-MNIST's 1,000 queries x 6,900 relevant items, some 55 MB of partition results
 * and 28 MB of ranks. A large multi-label database with many relevant items per query should set a
 * top-k instead (the first K per query bound everything then).
 */
public final class EvaluateJob {
    private static final Logger LOG = Logger.getLogger(EvaluateJob.class);
    public static final String METRICS = "metrics.json";

    private EvaluateJob() {}

    public static void main(String[] args) throws Exception {
        Spark.main("mlh-evaluate", args, (spark, s) -> MetricsReport.table(run(spark, s)));
    }

    /** Every figure of one evaluation; {@code topK} as configured, 0 = the whole database. */
    public static final class Result {
        public final String queryCodes, databaseCodes, report;
        public final int bits, queries, database, topK;
        public final double map, precisionWithinRadius2;
        /** precision@N for N = precisionAt[j] (N capped at the database size). */
        public final int[] precisionAt;
        public final double[] precisionAtN;
        /** Mean precision and recall within Hamming radius r, r = 0..bits. */
        public final double[] precisionByRadius, recallByRadius;

        Result(JobSettings s, int bits, int queries, int database, double map, int[] precisionAt, double[] precisionAtN,
               double[] precisionByRadius, double[] recallByRadius) {
            this.queryCodes = s.queryCodesPath;
            this.databaseCodes = s.databaseCodesPath;
            this.report = s.reportPath;
            this.bits = bits;
            this.queries = queries;
            this.database = database;
            this.topK = s.topK;
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
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        CodeTable queryTable = CodeTable.open(spark, s.queryCodesPath, CodeTable.QUERY);
        CodeTable databaseTable = CodeTable.open(spark, s.databaseCodesPath, CodeTable.DATABASE);
        if (databaseTable.bits != queryTable.bits) {
            throw new IllegalArgumentException(databaseTable.name + " has " + databaseTable.bits + "-bit codes but "
                    + queryTable.name + " has " + queryTable.bits + "-bit codes");
        }
        if (databaseTable.labelWidth != queryTable.labelWidth) {
            throw new IllegalArgumentException(databaseTable.name + " has labels of " + databaseTable.labelWidth + " classes but "
                    + queryTable.name + " has " + queryTable.labelWidth);
        }
        if (databaseTable.count > Integer.MAX_VALUE) throw new IllegalArgumentException(databaseTable.name + " has more than 2^31 - 1 rows");
        int m = (int) databaseTable.count;
        int k = s.topK <= 0 || s.topK > m ? m : s.topK;
        int limit = k;
        for (int n : s.precisionAt) limit = Math.max(limit, Math.min(n, m));

        Path staging = CommittedOutput.stage(hadoop, s.reportPath, s.overwrite); // an existing report fails before the work
        try {
            Result result = evaluate(spark, s, queryTable, databaseTable, limit);
            MetricsReport.write(hadoop, result, staging);
            CommittedOutput.commit(hadoop, staging, s.reportPath);
            LOG.info("evaluation written to " + s.reportPath + "/" + METRICS);
            return result;
        } catch (IOException | RuntimeException e) {
            CommittedOutput.abandon(hadoop, staging);
            throw e;
        }
    }

    private static Result evaluate(SparkSession spark, JobSettings s, CodeTable queryTable, CodeTable databaseTable, int limit) {
        QuerySet queries = QuerySet.collect(queryTable);
        Broadcast<QuerySet> shared = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(queries);
        try {
            // id ranges, each sorted: the order PartitionSummary's rank arithmetic needs
            int partitions = Math.max(spark.sparkContext().defaultParallelism(), databaseTable.rows.javaRDD().getNumPartitions());
            List<PartitionSummary> summaries = databaseTable.rows.repartitionByRange(partitions, col("id")).sortWithinPartitions("id")
                    .toJavaRDD().mapPartitions(new PartitionSummary.Summarise(shared, limit, databaseTable.name)).collect();
            Ranking ranking = Ranking.assemble(summaries, queries.size, queries.bits, limit);
            if (ranking.database != databaseTable.count) {
                throw new IllegalStateException(databaseTable.name + " changed while being read: " + databaseTable.count
                        + " rows counted, " + ranking.database + " ranked");
            }
            double[] pn = new double[s.precisionAt.length];
            for (int j = 0; j < pn.length; j++) pn[j] = ranking.precisionAt(s.precisionAt[j]);
            double[][] pr = ranking.precisionRecallByRadius();
            return new Result(s, queries.bits, queries.size, ranking.database, ranking.meanAveragePrecision(s.topK),
                    s.precisionAt.clone(), pn, pr[0], pr[1]);
        } finally {
            shared.destroy();
        }
    }
}
