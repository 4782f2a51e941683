package io.mlh.jobs.tables;

import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The shard table: one Parquet row per image, written by the shard job and read by the train and
 * encode jobs.
 *
 * <pre>
 * column    type         meaning
 * id        long         the record's position in the catalogue order, 0..n-1
 * split     string       "query" | "database" | "train" (a training image that is not in the database)
 * training  boolean      a training image: every split = train row, and database rows drawn for training
 * labels    array&lt;int&gt;   multi-hot 0/1 vector of length mlh.classes
 * image     binary       raw pixels (uint8, HWC, row-major) or the image file's bytes
 * format    string       "raw" | "jpeg" | "png" (for files: what the bytes are, whatever the file name says)
 * height    int          pixels
 * width     int          pixels
 * channels  int          as stored: 1 grey, 3 colour, 4 colour with alpha
 * source    string       the image file's path, or &lt;IDX images file&gt;#&lt;index&gt; (0-based)
 * </pre>
 *
 * <p>Catalogue order: IDX: the train file's records, then t10k's; image folders: class (sorted
 * directory names), then file name; list files: test.txt, database.txt, then the train.txt rows that
 * are not in database.txt, each in file order. Records rejected before any image is read (labels,
 * paths) are not numbered; records rejected while reading their image (skip policy) leave gaps in
 * {@code id}.
 *
 * <p>Files: {@code data.shards} Parquet files; the records are dealt round-robin over a permutation
 * seeded by {@code mlh.seed} (file sizes differ by at most one record before rejects) and each file
 * is sorted by {@code id}. The same input, seed and shard count give the same files.
 *
 * <p>Rejects table {@code <paths.shards>-rejects}: {@code source} string (as above, or
 * {@code <list file>:<line>} for list-file records), {@code reason} string; sorted by source.
 */
public final class ShardTable {
    private ShardTable() {}

    /** The column that marks training images (a split value says where an image is searched, not whether it trains). */
    public static final String TRAINING = "training";

    /** The shard table at {@code path}, read with its declared schema (a column its files lack reads as nulls). */
    public static Dataset<Row> read(SparkSession spark, String path) {
        return spark.read().schema(SCHEMA).parquet(path);
    }

    /**
     * The same, refused naming the column when its files lack one: for a reader whose result would be
     * silently wrong otherwise (training reads the {@link #TRAINING} flag, which a table of the older
     * layout lacks). It reads a file's footer, so not for a per-request path.
     */
    public static Dataset<Row> readComplete(SparkSession spark, String path) {
        StructType stored = spark.read().parquet(path).schema();
        for (StructField f : SCHEMA.fields()) {
            if (!Arrays.asList(stored.fieldNames()).contains(f.name()))
                throw new IllegalArgumentException("shard table " + path + " has no column " + f.name()
                        + ": it was written by an older shard job; run the shard job again");
        }
        return spark.read().schema(SCHEMA).parquet(path);
    }

    public static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false)
            .add(TRAINING, DataTypes.BooleanType, false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("image", DataTypes.BinaryType, false)
            .add("format", DataTypes.StringType, false)
            .add("height", DataTypes.IntegerType, false)
            .add("width", DataTypes.IntegerType, false)
            .add("channels", DataTypes.IntegerType, false)
            .add("source", DataTypes.StringType, false);

    public static final StructType REJECTS_SCHEMA =
            new StructType().add("source", DataTypes.StringType, false).add("reason", DataTypes.StringType, false);

    /** Where the rejects of the shard table at {@code shardsPath} go. */
    public static String rejectsPath(String shardsPath) {
        return shardsPath.replaceAll("/+$", "") + "-rejects";
    }
}
