package io.mlh.jobs.images;

import static org.apache.spark.sql.functions.col;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.tables.ShardTable;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.opencv.core.CvException;

/**
 * A gallery's images by id: PNG thumbnails as {@code data:} URIs, made on the executors from shard-table
 * rows (so only thumbnails of a few kilobytes reach the driver), and for every id without one the reason.
 */
public final class Thumbnails {
    /** The longer side of a thumbnail, in pixels. */
    static final int SIDE = 64;

    private final Map<Long, String> uris = new HashMap<>(), problems = new HashMap<>();
    /** Why an id has no thumbnail when its row was not found. */
    private final String absent;

    private Thumbnails(String absent) {
        this.absent = absent;
    }

    /** No images at all, for the reason {@code why} (e.g. the shard table is not committed). */
    public static Thumbnails none(String why) {
        return new Thumbnails(why);
    }

    /** The images of {@code ids} from the committed shard table at {@code path}; none if it cannot be read. */
    public static Thumbnails fromShards(SparkSession spark, String path, Collection<Long> ids, boolean verify) {
        try {
            CommittedOutput.requireCommitted(spark, path, verify);
        } catch (IOException e) {
            return none("the shard table cannot be read: " + e.getMessage());
        }
        try {
            return of(
                    ShardTable.read(spark, path).filter(col("id").isin(ids.toArray())),
                    "not in the shard table " + path);
        } catch (Exception e) { // e.g. not the shard table's schema; a Spark job's failure arrives undeclared
            return none("the shard table cannot be read: " + e.getMessage());
        }
    }

    /** The images of shard-table {@code rows}; an id without a row is {@code absent} (the reason). */
    public static Thumbnails of(Dataset<Row> rows, String absent) {
        Thumbnails t = new Thumbnails(absent);
        for (Row r : rows.select("id", "image", "format", "height", "width", "channels")
                .toJavaRDD()
                .map(new Render())
                .collect()) {
            if (r.isNullAt(1)) t.problems.put(r.getLong(0), r.getString(2));
            else t.uris.put(r.getLong(0), r.getString(1));
        }
        return t;
    }

    /** The thumbnail of {@code id} as a {@code data:} URI, or null. */
    public String uri(long id) {
        return uris.get(id);
    }

    /** Why {@code id} has no thumbnail. */
    public String problem(long id) {
        String p = problems.get(id);
        return p != null ? p : absent;
    }

    /** One shard-table row (id, image, format, height, width, channels) -> (id, data URI, null) or (id, null, reason). */
    private static final class Render implements Function<Row, Row> {
        private static final long serialVersionUID = 1L;

        @Override
        public Row call(Row r) {
            long id = r.getLong(0);
            try {
                BufferedImage image = ImageCodec.thumbnail(
                        r.getString(2), (byte[]) r.get(1), r.getInt(3), r.getInt(4), r.getInt(5), SIDE);
                ByteArrayOutputStream png = new ByteArrayOutputStream();
                ImageIO.write(image, "png", png);
                String uri = "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
                return RowFactory.create(id, uri, null);
            } catch (IllegalArgumentException | CvException | IOException e) {
                return RowFactory.create(id, null, "the image does not decode: " + e.getMessage());
            }
        }
    }
}
