package io.mlh.jobs.serve;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import io.mlh.jobs.encode.ImageEncoder;
import io.mlh.jobs.shard.ImageCodec;
import java.util.Collections;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Uploaded images to codes, with the model bundle's own framing and network (the encode job's
 * {@link ImageEncoder}), on the request's thread. BigDL's modules are not safe to share between
 * threads, so a request borrows one of a few copies (sharing the weights) and waits if all are out.
 */
final class QueryImages {
    private static final StructType IMAGE = new StructType()
            .add("image", DataTypes.BinaryType)
            .add("format", DataTypes.StringType)
            .add("height", DataTypes.IntegerType)
            .add("width", DataTypes.IntegerType)
            .add("channels", DataTypes.IntegerType);

    final ImageEncoder encoder;
    private final BlockingQueue<AbstractModule<Activity, Activity, Float>> networks;

    QueryImages(ImageEncoder encoder, int copies) {
        this.encoder = encoder;
        this.networks = new ArrayBlockingQueue<>(copies);
        for (int i = 0; i < copies; i++) networks.add(encoder.network());
    }

    /** The packed code of an uploaded JPEG or PNG; a {@link BadRequest} naming why it cannot be one. */
    long[] encode(byte[] bytes) throws InterruptedException {
        if (bytes.length == 0) throw new BadRequest(400, "the request has no image: its body is empty");
        String format = ImageCodec.sniff(bytes);
        if (format == null)
            throw new BadRequest(400, "the body is not a JPEG or PNG image (" + bytes.length + " bytes)");
        ImageCodec.Shape shape;
        try {
            shape = ImageCodec.inspect(format, bytes);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, "the image does not decode: " + e.getMessage());
        }
        Row image = new GenericRowWithSchema(
                new Object[] {bytes, format, shape.height, shape.width, shape.channels}, IMAGE);
        AbstractModule<Activity, Activity, Float> net = networks.take();
        try {
            return encoder.encodeHere(net, Collections.singletonList(image)).code(0);
        } finally {
            networks.add(net);
        }
    }
}
