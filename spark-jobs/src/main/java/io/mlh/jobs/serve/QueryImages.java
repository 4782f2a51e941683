package io.mlh.jobs.serve;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import io.mlh.jobs.images.ImageCodec;
import io.mlh.jobs.inference.ImageEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Uploaded images to codes, with the model bundle's own framing and network (the encode job's
 * {@link ImageEncoder}). A request thread decodes and frames its image, then hands it to one of a few
 * encoder threads, each with its own copy of the network (sharing the weights: BigDL's modules are not
 * safe to share between threads). An encoder takes every image waiting, up to the encoder's batch, into
 * one forward pass: a pass costs the same for one image as for a full batch on MKL-DNN (its primitives
 * are built for the batch) and for up to two elsewhere, so concurrent queries share the cost.
 */
final class QueryImages implements AutoCloseable {
    private static final StructType IMAGE = new StructType()
            .add("image", DataTypes.BinaryType)
            .add("format", DataTypes.StringType)
            .add("height", DataTypes.IntegerType)
            .add("width", DataTypes.IntegerType)
            .add("channels", DataTypes.IntegerType);

    /**
     * An uploaded image's code and int8 continuous code (null unless the service re-ranks); the
     * nanoseconds of the forward pass it was in, and that pass's images.
     */
    static final class Encoded {
        final long[] code;
        final byte[] int8;
        final long forwardNanos;
        final int batch;

        Encoded(long[] code, byte[] int8, long forwardNanos, int batch) {
            this.code = code;
            this.int8 = int8;
            this.forwardNanos = forwardNanos;
            this.batch = batch;
        }
    }

    private static final class Waiting {
        final float[] pixels;
        final CompletableFuture<Encoded> done = new CompletableFuture<>();

        Waiting(float[] pixels) {
            this.pixels = pixels;
        }
    }

    final ImageEncoder encoder;
    private final LinkedBlockingQueue<Waiting> waiting = new LinkedBlockingQueue<>();
    private final List<Thread> encoders = new ArrayList<>();

    QueryImages(ImageEncoder encoder, int copies) {
        this.encoder = encoder;
        for (int i = 0; i < copies; i++) {
            AbstractModule<Activity, Activity, Float> net = encoder.network();
            Thread t = new Thread(() -> encodeWaiting(net), "mlh-serve-encoder-" + i);
            t.setDaemon(true);
            t.start();
            encoders.add(t);
        }
    }

    /** The packed code of an uploaded JPEG or PNG; a {@link BadRequest} naming why it cannot be one. */
    Encoded encode(byte[] bytes) throws InterruptedException {
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
        Waiting w = new Waiting(encoder.pixels(image));
        waiting.add(w);
        try {
            return w.done.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the forward pass failed", e.getCause());
        }
    }

    /** An encoder thread: a forward pass over every image waiting (up to a batch), until closed. */
    private void encodeWaiting(AbstractModule<Activity, Activity, Float> net) {
        List<Waiting> batch = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        while (true) {
            try {
                batch.add(waiting.take());
            } catch (InterruptedException closed) {
                return;
            }
            waiting.drainTo(batch, encoder.batch() - 1);
            try {
                for (Waiting w : batch) pixels.add(w.pixels);
                long start = System.nanoTime();
                ImageEncoder.Codes codes = encoder.encodePixels(net, pixels);
                long nanos = System.nanoTime() - start;
                for (int i = 0; i < batch.size(); i++) {
                    byte[] int8 = codes.int8 == null ? null : codes.int8.code(i);
                    batch.get(i).done.complete(new Encoded(codes.signs.code(i), int8, nanos, batch.size()));
                }
            } catch (Throwable t) { // the requests fail with the reason; the encoder goes on
                for (Waiting w : batch) w.done.completeExceptionally(t);
            } finally {
                batch.clear();
                pixels.clear();
            }
        }
    }

    @Override
    public void close() {
        for (Thread t : encoders) t.interrupt();
    }
}
