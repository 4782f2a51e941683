package io.mlh.jobs.shard;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The shard job: IDX files, image folders or list files -> the shard table ({@link ShardTable}) and
 * its rejects table, both committed atomically. The driver builds the catalogue (paths, labels,
 * splits); one task per shard reads and validates its images. Bad records fail the job naming the
 * record ({@code data.on-bad-record = fail}, nothing is written) or go to the rejects table
 * ({@code skip}); header-level problems (IDX header and size disagree, wrong class count, missing list
 * files) always fail.
 *
 * <pre>spark-submit --class io.mlh.jobs.shard.ShardJob mlh-train.jar conf/cifar10.conf data.root=hdfs:///cifar10</pre>
 */
public final class ShardJob {
    private static final Logger LOG = Logger.getLogger(ShardJob.class);

    private ShardJob() {}

    /** What a run wrote: rows per split, training rows, rejects, and where. */
    public static final class Result {
        public final String path, rejectsPath;
        /** Rows with split = query / database / train (train: training images not in the database). */
        public final long queries, database, trainOnly;
        /** Rows with train = true: trainOnly plus the database rows drawn for training. */
        public final long trainFlagged;
        public final long rejects;

        Result(String path, String rejectsPath, long queries, long database, long trainOnly, long trainFlagged, long rejects) {
            this.path = path;
            this.rejectsPath = rejectsPath;
            this.queries = queries;
            this.database = database;
            this.trainOnly = trainOnly;
            this.trainFlagged = trainFlagged;
            this.rejects = rejects;
        }

        public long rows() {
            return queries + database + trainOnly;
        }

        @Override
        public String toString() {
            return rows() + " rows (" + queries + " query, " + database + " database, " + trainOnly + " train-only; "
                    + trainFlagged + " for training), " + rejects + " rejected";
        }
    }

    public static void main(String[] args) throws Exception {
        Spark.main("mlh-shard", args, (spark, s) -> run(spark, s));
    }

    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String rejectsPath = ShardTable.rejectsPath(s.shardsPath);
        Path staging = CommittedOutput.stage(hadoop, s.shardsPath, s.overwrite), rejectsStaging = null;
        try {
            rejectsStaging = CommittedOutput.stage(hadoop, rejectsPath, s.overwrite);
            BadRecords bad = new BadRecords(s.onBadRecord);
            List<Record> records = Catalogue.build(s, hadoop, bad);
            LOG.info("catalogue of " + s.source.name().toLowerCase() + " source " + s.root + ": " + records.size()
                    + " records, " + bad.rejected.size() + " rejected by their labels or paths");

            CollectionAccumulator<Reject> readRejects = spark.sparkContext().collectionAccumulator("mlh-shard-rejects");
            JavaRDD<Row> rows = new JavaSparkContext(spark.sparkContext())
                    .parallelize(Catalogue.deal(records, s.shards, s.model.seed()), s.shards) // one list, one partition, one file
                    .mapPartitions(new ShardReader(new HadoopConf(hadoop), s.onBadRecord, readRejects));
            try {
                spark.createDataFrame(rows, ShardTable.SCHEMA).write().mode(SaveMode.Overwrite).parquet(staging.toString());
            } catch (Exception e) {
                throw cause(e);
            }

            Result result = count(spark, staging, s, rejectsPath, bad.rejected.size() + readRejects.value().size());
            if (result.rows() + readRejects.value().size() != records.size()) {
                throw new IllegalStateException(records.size() + " records were catalogued but " + result.rows() + " written and "
                        + readRejects.value().size() + " rejected while reading");
            }
            List<Reject> rejects = new ArrayList<>(bad.rejected);
            rejects.addAll(readRejects.value());
            writeRejects(spark, rejects, rejectsStaging);
            CommittedOutput.commit(hadoop, rejectsStaging, rejectsPath);
            CommittedOutput.commit(hadoop, staging, s.shardsPath); // last: a shard table implies its rejects are there
            LOG.info(result + "; written to " + s.shardsPath + (rejects.isEmpty() ? "" : ", rejects to " + rejectsPath));
            return result;
        } catch (IOException | RuntimeException e) {
            CommittedOutput.abandon(hadoop, staging);
            if (rejectsStaging != null) CommittedOutput.abandon(hadoop, rejectsStaging);
            throw e;
        }
    }

    /** Counts from the written files themselves. */
    private static Result count(SparkSession spark, Path table, JobSettings s, String rejectsPath, long rejects) {
        long queries = 0, database = 0, trainOnly = 0, flagged = 0;
        for (Row r : spark.read().schema(ShardTable.SCHEMA).parquet(table.toString()).groupBy("split", "train").count().collectAsList()) {
            long n = r.getLong(2);
            if (r.getBoolean(1)) flagged += n;
            switch (r.getString(0)) {
                case ShardTable.QUERY: queries += n; break;
                case ShardTable.DATABASE: database += n; break;
                default: trainOnly += n;
            }
        }
        return new Result(s.shardsPath, rejectsPath, queries, database, trainOnly, flagged, rejects);
    }

    private static void writeRejects(SparkSession spark, List<Reject> rejects, Path staging) {
        rejects.sort(Comparator.comparing((Reject r) -> r.source).thenComparing(r -> r.reason));
        List<Row> rows = new ArrayList<>();
        for (Reject r : rejects) rows.add(RowFactory.create(r.source, r.reason));
        spark.createDataFrame(rows, ShardTable.REJECTS_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite).parquet(staging.toString());
    }

    /** The bad record or I/O error behind a Spark job failure, so the caller sees the record and the reason. */
    private static RuntimeException cause(Exception e) throws IOException {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadRecordException) return (BadRecordException) t;
            if (t instanceof IOException) throw (IOException) t;
        }
        return e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException("shard job failed: " + e.getMessage(), e);
    }
}
