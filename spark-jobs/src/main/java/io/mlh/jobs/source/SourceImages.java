package io.mlh.jobs.source;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.HadoopConf;
import io.mlh.jobs.common.OutputClaim;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * A source's images (IDX files, image folders or list files, as {@code data.*} says) as rows of the
 * shard table's schema, read and validated on the executors: the shard job writes them as the shard
 * table, the encode job can encode them directly. The driver builds the catalogue (paths, labels,
 * splits); one task per shard reads its images. Every catalogued record ends up either as a row or as a
 * reject ({@code data.on-bad-record = skip}); with {@code fail} the first bad record stops the job.
 */
public final class SourceImages {
    private static final Logger LOG = Logger.getLogger(SourceImages.class);

    private final List<Record> records;
    private final List<Reject> catalogueRejects;
    private final CollectionAccumulator<Reject> readRejects;
    private final SparkSession spark;
    private final JavaRDD<Row> rows;

    private SourceImages(
            SparkSession spark,
            List<Record> records,
            List<Reject> catalogueRejects,
            CollectionAccumulator<Reject> readRejects,
            JavaRDD<Row> rows) {
        this.spark = spark;
        this.records = records;
        this.catalogueRejects = catalogueRejects;
        this.readRejects = readRejects;
        this.rows = rows;
    }

    public static SourceImages read(SparkSession spark, SourceSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        BadRecords bad = new BadRecords(s.onBadRecord);
        List<Record> records = Catalogue.build(s, hadoop, bad);
        LOG.info("catalogue of " + s.source.name().toLowerCase() + " source " + s.root + ": " + records.size()
                + " records, " + bad.rejected.size() + " rejected by their labels or paths");
        int shards = Catalogue.shardCount(records, s, hadoop);
        if (s.shardBytes > 0)
            LOG.info(shards + " shards of about " + s.shardBytes + " bytes of images each (data.shard-size)");
        CollectionAccumulator<Reject> readRejects = spark.sparkContext().collectionAccumulator("mlh-source-rejects");
        JavaRDD<Row> rows = new JavaSparkContext(spark.sparkContext())
                .parallelize(Catalogue.deal(records, shards, s.seed), shards) // one list, one partition, one file
                .mapPartitions(new ShardReader(new HadoopConf(hadoop), s.onBadRecord, readRejects));
        return new SourceImages(spark, records, new ArrayList<>(bad.rejected), readRejects, rows);
    }

    /**
     * The images at a few {@code sources} (values of the shard table's {@code source} column for the
     * images {@code data.*} describes) as shard-table rows with the given ids, read by one task as the
     * shard job reads them: a gallery's query images. An image that is missing or does not decode has no
     * row; an unreadable IDX file fails the action.
     */
    public static Dataset<Row> at(SparkSession spark, SourceSettings s, long[] ids, String[] sources) {
        ArrayList<Record> records = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            int hash = sources[i].lastIndexOf('#');
            Record r = s.source == SourceSettings.Source.IDX && hash > 0
                    ? Record.of(
                            sources[i].substring(0, hash), Integer.parseInt(sources[i].substring(hash + 1)), NO_LABELS)
                    : Record.of(sources[i], -1, NO_LABELS);
            records.add(r.placed(ids[i], Split.QUERY.value(), false));
        }
        records.sort(Comparator.comparing((Record r) -> r.path)); // each IDX file read once
        JavaRDD<Row> rows = new JavaSparkContext(spark.sparkContext())
                .parallelize(Collections.singletonList(records), 1)
                .mapPartitions(new ShardReader(
                        new HadoopConf(spark.sparkContext().hadoopConfiguration()),
                        SourceSettings.BadRecordPolicy.SKIP,
                        spark.sparkContext().collectionAccumulator()));
        return spark.createDataFrame(rows, ShardTable.SCHEMA);
    }

    private static final int[] NO_LABELS = {};

    /** The images as shard-table rows ({@link ShardTable#SCHEMA}); read once, by one action. */
    public Dataset<Row> rows() {
        return rows(null);
    }

    /** The same, each image read counted by {@code progress} (null: none). */
    public Dataset<Row> rows(Progress progress) {
        return spark.createDataFrame(progress == null ? rows : progress.counted(rows), ShardTable.SCHEMA);
    }

    public int catalogued() {
        return records.size();
    }

    /** Every rejected record with its reason, in a stable order; complete once the rows were read. */
    public List<Reject> rejects() {
        List<Reject> all = new ArrayList<>(catalogueRejects);
        all.addAll(readRejects.value());
        all.sort(Comparator.comparing((Reject r) -> r.source).thenComparing(r -> r.reason));
        return all;
    }

    /** Fails unless every catalogued record was {@code written} or rejected: nothing goes missing silently. */
    public void requireAccounted(long written) {
        int rejectedWhileReading = readRejects.value().size();
        if (written + rejectedWhileReading != records.size()) {
            throw new IllegalStateException(records.size() + " records were catalogued but " + written + " written and "
                    + rejectedWhileReading + " rejected while reading");
        }
    }

    /** Writes the rejects table (source, reason) into a staging directory. */
    public void writeRejects(SparkSession spark, Path staging) {
        List<Row> out = new ArrayList<>();
        for (Reject r : rejects()) out.add(RowFactory.create(r.source, r.reason));
        spark.createDataFrame(out, ShardTable.REJECTS_SCHEMA)
                .coalesce(1)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
    }

    /**
     * Stages {@code table} and its rejects table, lets {@code write} fill the table's staging directory
     * from {@link #rows()}, checks every record is accounted for, then commits the rejects and, last, the
     * table (a committed table implies its rejects are there). On any failure neither is left behind.
     *
     * @return what {@code write} returned: the number of rows written
     */
    public long writeWithRejects(
            SparkSession spark, String table, boolean overwrite, OutputClaim.Terms claims, TableWriter write)
            throws IOException {
        String rejectsPath = ShardTable.rejectsPath(table);
        CommittedOutput.requireWritable(
                spark.sparkContext().hadoopConfiguration(), rejectsPath, overwrite); // before the work
        return CommittedOutput.write(spark, table, overwrite, claims, staging -> {
            long written;
            try {
                written = write.write(staging);
            } catch (Exception e) {
                throw cause(e);
            }
            requireAccounted(written);
            CommittedOutput.write(spark, rejectsPath, overwrite, claims, rejects -> {
                writeRejects(spark, rejects);
                return null;
            });
            return written;
        });
    }

    /** Fills a staging directory; returns the rows it wrote (counted from the written files). */
    public interface TableWriter {
        long write(Path staging) throws Exception;
    }

    /** The bad record or I/O error behind a Spark job failure, so the caller sees the record and the reason. */
    private static RuntimeException cause(Exception e) throws IOException {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadRecordException) return (BadRecordException) t;
            if (t instanceof IOException) throw (IOException) t;
        }
        return e instanceof RuntimeException
                ? (RuntimeException) e
                : new IllegalStateException("job failed: " + e.getMessage(), e);
    }
}
