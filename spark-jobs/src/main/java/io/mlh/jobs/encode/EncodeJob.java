package io.mlh.jobs.encode;

import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.inference.ImageEncoder;
import io.mlh.jobs.source.SourceImages;
import io.mlh.jobs.source.SourceSettings;
import io.mlh.jobs.tables.ShardTable;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mlh-encode.jar}: a model bundle and a shard table (or the images themselves, {@code
 * jobs.encode.input = source}) -> distributed inference -> the Parquet hash-code table (id, split, labels, bits, packed code words, optionally the continuous code),
 * committed atomically. The model reaches the executors once through BigDL's weight-sharing
 * broadcast; each partition encodes in batches.
 */
public final class EncodeJob {
    private static final Logger LOG = Logger.getLogger(EncodeJob.class);

    private EncodeJob() {}

    public static final Command COMMAND = new Command(
            "mlh-encode",
            "mlh-encode.jar",
            EncodeJob.class,
            "Encodes the shard table's images (or the data set's own, jobs.encode.input = source) with the\n"
                    + "model bundle into the code table (paths.codes).",
            Command.keys(
                    Arrays.asList(EncodeSettings.class, SourceSettings.class, JobSettings.class),
                    ImageEncoder.BATCH_SIZE,
                    ImageEncoder.PRECISION,
                    MlhConfig.ENCODE_BRANCH,
                    MlhConfig.ENGINE));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, (spark, s) -> run(spark, s));
    }

    /**
     * Encodes every row of the shard table, or with {@code jobs.encode.input = source} every image of the
     * source {@code data.*} describes; returns the number of codes written.
     */
    public static long run(SparkSession spark, JobSettings s) throws IOException {
        EncodeSettings e = new EncodeSettings(s);
        ImageEncoder encoder = ImageEncoder.of(
                spark,
                ModelBundle.load(spark.sparkContext().hadoopConfiguration(), s.modelPath),
                s.modelPath,
                s.model,
                ImageEncoder.PRECISION,
                e.extras,
                e.batchSize);
        String what = encoder.describe();

        if (e.input == EncodeSettings.Input.SOURCE) {
            SourceSettings source = new SourceSettings(s.model);
            SourceImages images = SourceImages.read(spark, source);
            long n = images.writeWithRejects(
                    spark,
                    s.codesPath,
                    s.overwrite,
                    s.claims,
                    staging -> write(spark, images.rows(), images.catalogued(), encoder, staging, s));
            LOG.info(n + " codes of " + what + " from " + source.root + " written to " + s.codesPath + ", "
                    + images.rejects().size() + " rejected");
            return n;
        }
        CommittedOutput.requireCommitted(spark, s.shardsPath, s.verifyInputs);
        long n = CommittedOutput.write(spark, s.codesPath, s.overwrite, s.claims, staging -> {
            Dataset<Row> shards = ShardTable.read(spark, s.shardsPath);
            return write(spark, shards, shards.count(), encoder, staging, s);
        });
        LOG.info(n + " codes of " + what + " written to " + s.codesPath);
        return n;
    }

    /** Encodes shard-table rows into a staging directory; returns the codes written, counted from the files. */
    private static long write(
            SparkSession spark, Dataset<Row> images, long total, ImageEncoder encoder, Path staging, JobSettings s) {
        try (Progress progress =
                Progress.start(spark.sparkContext(), "encode", "images", total, s.progressIntervalMillis)) {
            encoder.codes(spark, images, progress)
                    .write()
                    .mode(SaveMode.Overwrite)
                    .parquet(staging.toString());
        }
        return spark.read().schema(encoder.schema()).parquet(staging.toString()).count();
    }
}
