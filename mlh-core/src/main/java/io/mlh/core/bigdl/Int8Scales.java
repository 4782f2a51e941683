package io.mlh.core.bigdl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.CAddTable;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.MklInt8Convertible;
import com.intel.analytics.bigdl.nn.ReLU;
import com.intel.analytics.bigdl.nn.SpatialBatchNormalization;
import com.intel.analytics.bigdl.nn.SpatialConvolution;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Node;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantisation scales of an MLH graph's convolutional part, what MKL-DNN's int8 convolutions need
 * ({@link Int8Inference}): for each convolution, batch norm, ReLU and residual sum whose output is a
 * feature map, the largest |value| its input and output reached on calibration images (one scale a
 * tensor), and for each convolution the largest |weight| of each output channel. The hash head, the MoH
 * gates and experts take none: they stay fp32.
 *
 * <p>BigDL's {@code calcScales} appends a scale set for each batch it sees; {@link #calibrate} keeps
 * one, the elementwise maximum over every batch, so any number of images can be used at a batch's
 * memory. The scales live here, outside the module, and are set on a graph by name ({@link #applyTo})
 * where it runs: a saved or broadcast module carries none.
 */
public final class Int8Scales implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int INPUT = 0, OUTPUT = 1, WEIGHT = 2;
    private static final String[] KINDS = {"input", "output", "weight"};
    /** Per-tensor scales of activations; per output channel (dimension 1) of convolution weights. */
    private static final int ACTIVATION_MASK = 0, WEIGHT_MASK = 1;

    /** Layer name -> [input, output, weight] scales, each BigDL's array of per-tensor arrays. */
    private final LinkedHashMap<String, float[][][]> layers;

    private Int8Scales(LinkedHashMap<String, float[][][]> layers) {
        this.layers = layers;
    }

    /** The layers that have scales, in forward order. */
    public List<String> layers() {
        return new ArrayList<>(layers.keySet());
    }

    /**
     * The scales of {@code plain} (an MLH graph) on {@code batches} of input images, each an N x C x H x
     * W tensor. {@code plain} keeps its weights (its cached activations are dropped, or the copy would
     * hold them): a copy runs, with its in-place ReLUs and sums made out-of-place so each layer's input
     * is still there to measure once the batch has passed.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Int8Scales calibrate(Graph<Float> plain, Iterator<Tensor<Float>> batches) {
        plain.clearState();
        Graph<Float> g = (Graph<Float>) plain.cloneModule();
        for (Node n : g.getForwardExecutions()) {
            Object m = n.element();
            String name = ((AbstractModule) m).getName();
            if (m instanceof ReLU) n.element_$eq(BigDL.relu().setName(name));
            else if (m instanceof CAddTable) n.element_$eq(BigDL.sum().setName(name));
        }
        g.evaluate();
        LinkedHashMap<String, float[][][]> seen = new LinkedHashMap<>();
        if (!batches.hasNext()) throw new IllegalArgumentException("no calibration images");
        while (batches.hasNext()) {
            Tensor<Float> batch = batches.next();
            g.forward(batch);
            for (Node n : g.getForwardExecutions()) {
                AbstractModule<Activity, Activity, Float> m = (AbstractModule<Activity, Activity, Float>) n.element();
                if (!takesScales(m)) continue;
                MklInt8Convertible q = (MklInt8Convertible) m;
                setMasks(q);
                q.calcScales(g.findInput(n, batch));
                float[][][] now = {q.getInputScales(), q.getOutputScales(), q.getWeightScales()};
                float[][][] before = seen.get(m.getName());
                seen.put(m.getName(), before == null ? now : max(m.getName(), before, now));
                clear(q);
            }
        }
        g.clearState();
        return new Int8Scales(seen);
    }

    /**
     * Sets these scales on {@code plain}'s layers of the same names (a copy running on an executor or in
     * the service, before {@link Int8Inference#build}). Refused, naming the layer, when the graph is not
     * the one they were measured on: a layer that should have scales has none, or one has scales of
     * another shape.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void applyTo(Graph<Float> plain) {
        int set = 0;
        for (Node n : plain.getForwardExecutions()) {
            AbstractModule<Activity, Activity, Float> m = (AbstractModule<Activity, Activity, Float>) n.element();
            float[][][] s = layers.get(m.getName());
            if (s == null) {
                if (m instanceof SpatialConvolution)
                    throw new IllegalArgumentException("the int8 scales have none for convolution " + m.getName()
                            + ": they were measured on another network");
                continue;
            }
            if (!(m instanceof MklInt8Convertible))
                throw new IllegalArgumentException("the int8 scales name layer " + m.getName() + ", a "
                        + m.getClass().getSimpleName() + " here: they were measured on another network");
            if (m instanceof SpatialConvolution) {
                int channels = ((SpatialConvolution<Float>) (Object) m).nOutputPlane();
                if (s[WEIGHT].length != 1 || s[WEIGHT][0].length != channels)
                    throw new IllegalArgumentException("the int8 weight scales of " + m.getName() + " are for "
                            + (s[WEIGHT].length == 1 ? s[WEIGHT][0].length : 0) + " output channels, it has "
                            + channels + ": they were measured on another network");
            }
            MklInt8Convertible q = (MklInt8Convertible) m;
            setMasks(q);
            q.setInputScales(s[INPUT]);
            q.setOutputScales(s[OUTPUT]);
            q.setWeightScales(s[WEIGHT]);
            set++;
        }
        if (set != layers.size())
            throw new IllegalArgumentException("the int8 scales name " + layers.size() + " layers, the network has "
                    + set + " of them: they were measured on another network");
    }

    /**
     * A layer of the convolutional part: a convolution, or a batch norm, ReLU or sum whose output is a
     * feature map (the head's 1-D batch norms and its ReLUs stay fp32; BigDL cannot scale a 1-D batch norm).
     */
    private static boolean takesScales(AbstractModule<Activity, Activity, Float> m) {
        if (m instanceof SpatialConvolution) return true;
        boolean kind = m instanceof SpatialBatchNormalization || m instanceof ReLU || m instanceof CAddTable;
        return kind && m.output() instanceof Tensor && ((Tensor<?>) m.output()).dim() == 4;
    }

    private static void setMasks(MklInt8Convertible q) {
        q.setInputDimMask(ACTIVATION_MASK, false);
        q.setOutputDimMask(ACTIVATION_MASK, false);
        q.setWeightDimMask(WEIGHT_MASK, false);
    }

    private static void clear(MklInt8Convertible q) {
        q.setInputScales(new float[0][]);
        q.setOutputScales(new float[0][]);
        q.setWeightScales(new float[0][]);
    }

    private static float[][][] max(String layer, float[][][] a, float[][][] b) {
        float[][][] out = new float[3][][];
        for (int k = 0; k < 3; k++) {
            if (a[k].length != b[k].length)
                throw new IllegalStateException(layer + "'s " + KINDS[k] + " scales changed shape between batches");
            out[k] = new float[a[k].length][];
            for (int i = 0; i < a[k].length; i++) {
                if (a[k][i].length != b[k][i].length)
                    throw new IllegalStateException(layer + "'s " + KINDS[k] + " scales changed shape between batches");
                out[k][i] = new float[a[k][i].length];
                for (int j = 0; j < a[k][i].length; j++) out[k][i][j] = Math.max(a[k][i][j], b[k][i][j]);
            }
        }
        return out;
    }

    /** {"layer": {"input": [[...]], "output": [[...]], "weight": [[...]]}, ...} */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode all = json.createObjectNode();
        for (Map.Entry<String, float[][][]> e : layers.entrySet()) {
            ObjectNode layer = all.putObject(e.getKey());
            for (int k = 0; k < 3; k++) {
                ArrayNode sets = layer.putArray(KINDS[k]);
                for (float[] set : e.getValue()[k]) {
                    ArrayNode values = sets.addArray();
                    for (float v : set) values.add(v);
                }
            }
        }
        return all;
    }

    /** What {@link #toJson} wrote. */
    public static Int8Scales fromJson(JsonNode all) {
        LinkedHashMap<String, float[][][]> layers = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = all.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            float[][][] s = new float[3][][];
            for (int k = 0; k < 3; k++) {
                JsonNode sets = e.getValue().path(KINDS[k]);
                if (!sets.isArray())
                    throw new IllegalArgumentException("int8 scales of " + e.getKey() + " have no " + KINDS[k]);
                s[k] = new float[sets.size()][];
                for (int i = 0; i < sets.size(); i++) {
                    JsonNode values = sets.get(i);
                    s[k][i] = new float[values.size()];
                    for (int j = 0; j < values.size(); j++) {
                        float v = (float) values.get(j).asDouble(Double.NaN);
                        if (!(v >= 0) || Float.isInfinite(v))
                            throw new IllegalArgumentException("int8 " + KINDS[k] + " scale of " + e.getKey() + " is "
                                    + values.get(j) + ", not a finite value >= 0");
                        s[k][i][j] = v;
                    }
                }
            }
            layers.put(e.getKey(), s);
        }
        if (layers.isEmpty()) throw new IllegalArgumentException("the int8 scales name no layer");
        return new Int8Scales(layers);
    }
}
