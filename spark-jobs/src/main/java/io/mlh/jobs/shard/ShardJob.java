package io.mlh.jobs.shard;

import static org.apache.spark.sql.functions.col;

import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.source.SourceImages;
import io.mlh.jobs.source.SourceSettings;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The shard job: IDX files, image folders or list files -> the shard table ({@link ShardTable}) and
 * its rejects table, both committed atomically. The images are read as {@link SourceImages}: the
 * driver builds the catalogue (paths, labels, splits); one task per shard reads and validates its
 * images. Bad records fail the job naming the
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

        Result(
                String path,
                String rejectsPath,
                long queries,
                long database,
                long trainOnly,
                long trainFlagged,
                long rejects) {
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

    public static final Command COMMAND = new Command(
            "mlh-shard",
            "mlh-train.jar",
            ShardJob.class,
            "Reads a data set as users have it (IDX files, image folders, list files: data.*), splits it into\n"
                    + "queries, database and training images, and writes the shard table (paths.shards) and its rejects.",
            Command.keys(Arrays.asList(SourceSettings.class, JobSettings.class), MlhConfig.CLASSES, MlhConfig.SEED));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, (spark, s) -> run(spark, s));
    }

    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        SourceImages images = SourceImages.read(spark, new SourceSettings(s.model));
        Result[] result = new Result[1];
        images.writeWithRejects(spark, s.shardsPath, s.overwrite, s.claims, staging -> {
            try (Progress progress = Progress.start(
                    spark.sparkContext(), "shard", "images", images.catalogued(), s.progressIntervalMillis)) {
                images.rows(progress).write().mode(SaveMode.Overwrite).parquet(staging.toString());
            }
            result[0] = count(
                    spark,
                    staging,
                    s.shardsPath,
                    ShardTable.rejectsPath(s.shardsPath),
                    images.rejects().size());
            return result[0].rows();
        });
        LOG.info(result[0] + "; written to " + s.shardsPath
                + (result[0].rejects == 0 ? "" : ", rejects to " + result[0].rejectsPath));
        return result[0];
    }

    /** Counts from the written files themselves. */
    private static Result count(SparkSession spark, Path table, String path, String rejectsPath, long rejects) {
        long queries = 0, database = 0, trainOnly = 0, flagged = 0;
        for (Row r : ShardTable.read(spark, table.toString())
                .groupBy(col("split"), col(ShardTable.TRAINING))
                .count()
                .collectAsList()) {
            long n = r.getLong(2);
            if (r.getBoolean(1)) flagged += n;
            switch (Split.of(r.getString(0))) {
                case QUERY:
                    queries += n;
                    break;
                case DATABASE:
                    database += n;
                    break;
                default:
                    trainOnly += n;
            }
        }
        return new Result(path, rejectsPath, queries, database, trainOnly, flagged, rejects);
    }
}
