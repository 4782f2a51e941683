package io.mlh.jobs.inference;

import com.intel.analytics.bigdl.models.utils.ModelBroadcast;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.bigdl.Int8Inference;
import io.mlh.core.bigdl.Int8Scales;
import io.mlh.jobs.images.Framing;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Row;

/**
 * An MLH network for inference on the executors: broadcast once through BigDL's weight-sharing
 * {@code ModelBroadcast}; each task takes its copy ({@link #net}, MKL-DNN's form of it on that engine)
 * and forwards its rows a batch at a time ({@link #forward}), framed by {@link Framing}. The encode job
 * and the train job's per-epoch validation both run the network this way. With int8 scales, each copy
 * runs its convolutions in int8 ({@link Int8Inference}), checked on a first pass before any row.
 */
public final class ExecutorInference implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ModelBroadcast<Float> model;
    private final Framing framing;
    /** Images a forward pass. */
    public final int batch;

    private final int nodes, cores;
    private final boolean mkldnn;
    /** Null: fp32. */
    private final Int8Scales int8;

    /** Broadcasts {@code net} (BigDL swaps the driver's copy's weights for a copy of them, as its optimiser does). */
    public ExecutorInference(
            SparkContext sc,
            AbstractModule<Activity, Activity, Float> net,
            Framing framing,
            int batch,
            boolean mkldnn) {
        this(sc, net, framing, batch, mkldnn, null);
    }

    /** The same, run in int8 with {@code int8} (MKL-DNN only) unless it is null. */
    public ExecutorInference(
            SparkContext sc,
            AbstractModule<Activity, Activity, Float> net,
            Framing framing,
            int batch,
            boolean mkldnn,
            Int8Scales int8) {
        if (int8 != null && !mkldnn) throw new IllegalArgumentException("int8 runs on MKL-DNN only");
        this.int8 = int8;
        net.evaluate();
        this.model = BigDL.broadcast(sc, net);
        this.framing = framing;
        this.batch = batch;
        this.mkldnn = mkldnn;
        this.nodes = BigDL.nodes();
        this.cores = BigDL.cores();
    }

    /** On an executor: this task's network, in inference mode. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public AbstractModule<Activity, Activity, Float> net() {
        BigDL.setNodesAndCores(nodes, cores); // BigDL's layers parallelise over the engine's threads
        AbstractModule<Activity, Activity, Float> net = model.value(false, true);
        if (int8 != null) {
            String why = Int8Inference.unavailable(); // this host's: executors may differ from the driver
            if (why != null) throw new IllegalArgumentException("int8 cannot run on " + host() + ": " + why);
            Graph<Float> plain = (Graph<Float>) (AbstractModule) net;
            int8.applyTo(plain); // this copy's own scale fields; the weights stay shared
            net = Int8Inference.build(ComputeEngine.forMklDnn(plain));
            net.evaluate();
            forwardPixels(net, new ArrayList<>()); // MKL-DNN builds its primitives on the first pass
            Int8Inference.requireQuantized(net);
            return net;
        }
        if (mkldnn) net = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn((Graph<Float>) (AbstractModule) net));
        net.evaluate();
        return net;
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "this host";
        }
    }

    /**
     * The network's outputs for up to {@link #batch} rows with the shard table's image columns. A
     * short batch is padded with blank images, so read the first {@code rows.size()} rows of each
     * output ({@link #firstRows}): on MKL-DNN to the full batch (its primitives are built for the first
     * batch's shape), elsewhere a single row to two (a loaded model's reshape layers take a batch of
     * one for an unbatched sample, {@code BigDL.reshape}). Evaluation is per image, so padding changes
     * no row's output.
     */
    public Table forward(AbstractModule<Activity, Activity, Float> net, List<Row> rows) {
        List<float[]> images = new ArrayList<>(rows.size());
        for (Row r : rows) images.add(pixels(r));
        return forwardPixels(net, images);
    }

    /** One row's image decoded and framed as the network's input. */
    public float[] pixels(Row row) {
        return framing.pixels(row, null);
    }

    /** {@link #forward} of up to {@link #batch} images already framed ({@link #pixels}). */
    public Table forwardPixels(AbstractModule<Activity, Activity, Float> net, List<float[]> images) {
        int per = framing.values(), n = mkldnn ? batch : Math.max(2, images.size());
        float[] px = new float[n * per];
        for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i), 0, px, i * per, per);
        return net.forward(BigDL.tensor(px, n, framing.channels, framing.size, framing.size))
                .toTable();
    }

    /** The first {@code n} rows of a batch output, row-major. */
    public static float[] firstRows(Tensor<Float> t, int n) {
        float[] all = BigDL.toArray(t);
        int per = (int) (t.nElement() / t.size(1));
        return all.length == n * per ? all : java.util.Arrays.copyOf(all, n * per);
    }
}
