package io.mlh.jobs.serve;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.images.ImageCodec;
import io.mlh.jobs.images.Thumbnails;
import io.mlh.jobs.tables.ShardTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The shard table's images for the search page: neighbours' thumbnails (the gallery's, {@link
 * Thumbnails}) and whole images as PNG ({@code GET /image/<id>}). Each is a small Spark query on the
 * table by id, so the service keeps no image in memory; a missing table leaves placeholders.
 */
final class ShardImages {
    static final String PATH = "/image/";

    private final SparkSession spark;
    private final String shards;
    private final boolean verify;

    ShardImages(SparkSession spark, String shards, boolean verify) {
        this.spark = spark;
        this.shards = shards;
        this.verify = verify;
    }

    /** Each neighbour of {@code list} (ids {@code ids}, in order) gets a "thumbnail" data URI or a "thumbnail_problem". */
    void addThumbnails(ArrayNode list, List<Long> ids) {
        Thumbnails t = shards.isEmpty() ? null : Thumbnails.fromShards(spark, shards, ids, verify);
        for (int n = 0; n < ids.size(); n++) {
            ObjectNode h = (ObjectNode) list.get(n);
            String uri = t == null ? null : t.uri(ids.get(n));
            if (uri != null) h.put("thumbnail", uri);
            else h.put("thumbnail_problem", t == null ? "no shard table (paths.shards)" : t.problem(ids.get(n)));
        }
    }

    /** The image of shard-table row {@code id} (the path's rest) as PNG, at its own size. */
    byte[] png(String id) throws IOException {
        long key;
        try {
            key = Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new BadRequest(400, "an image id is an integer, got \"" + id + "\"");
        }
        if (shards.isEmpty()) throw new BadRequest(404, "this service has no shard table (paths.shards)");
        CommittedOutput.requireCommitted(spark, shards, verify);
        List<Row> rows = ShardTable.read(spark, shards)
                .filter(col("id").equalTo(key))
                .select("image", "format", "height", "width", "channels")
                .collectAsList();
        if (rows.isEmpty()) throw new BadRequest(404, "no image with id " + key + " in the shard table " + shards);
        Row r = rows.get(0);
        int height = r.getInt(2), width = r.getInt(3);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(
                ImageCodec.thumbnail(
                        r.getString(1), (byte[]) r.get(0), height, width, r.getInt(4), Math.max(height, width)),
                "png",
                png);
        return png.toByteArray();
    }
}
