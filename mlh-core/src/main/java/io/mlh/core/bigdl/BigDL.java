package io.mlh.core.bigdl;

import com.intel.analytics.bigdl.nn.CAddTable$;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.Graph$;
import com.intel.analytics.bigdl.nn.Input$;
import com.intel.analytics.bigdl.nn.Linear$;
import com.intel.analytics.bigdl.nn.MM$;
import com.intel.analytics.bigdl.nn.MsraFiller;
import com.intel.analytics.bigdl.nn.Ones$;
import com.intel.analytics.bigdl.nn.ReLU$;
import com.intel.analytics.bigdl.nn.Reshape$;
import com.intel.analytics.bigdl.nn.SoftMax$;
import com.intel.analytics.bigdl.nn.SpatialAveragePooling$;
import com.intel.analytics.bigdl.nn.SpatialBatchNormalization;
import com.intel.analytics.bigdl.nn.SpatialBatchNormalization$;
import com.intel.analytics.bigdl.nn.SpatialConvolution;
import com.intel.analytics.bigdl.nn.SpatialConvolution$;
import com.intel.analytics.bigdl.nn.SpatialMaxPooling$;
import com.intel.analytics.bigdl.nn.Tanh$;
import com.intel.analytics.bigdl.nn.View;
import com.intel.analytics.bigdl.nn.View$;
import com.intel.analytics.bigdl.nn.Zeros$;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.nn.abstractnn.DataFormat;
import com.intel.analytics.bigdl.nn.abstractnn.DataFormat$;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.tensor.Tensor$;
import com.intel.analytics.bigdl.tensor.TensorNumericMath.TensorNumeric;
import com.intel.analytics.bigdl.utils.Engine$;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.T$;
import com.intel.analytics.bigdl.utils.Table;
import java.util.Arrays;
import scala.Option;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The one place where Java meets BigDL's Scala API: class tags, the Float numeric, Scala default
 * arguments, the engine's settings, graph plumbing, samples, model files, the optimiser and model
 * broadcast. Model and job code go through these helpers so they read like the method rather than
 * like Scala interop. All models here are Float models. Two other classes call BigDL's Scala objects
 * for one thing each: {@code ComputeEngine} (the MKL-DNN conversion) and {@code ResNetBackbone}
 * (BigDL's own ResNet builder, for a pretrained file in BigDL's format); the jobs' {@code ImageCodec} calls BigDL's OpenCV wrapper.
 */
public final class BigDL {
    private BigDL() {}

    /** The Float class tag every BigDL call wants as its first implicit. */
    public static final ClassTag<Float> FLOAT = classTag(Float.TYPE);

    /** The Float numeric, BigDL's second implicit; its Scala object has no Java-visible name. */
    public static final TensorNumeric<Float> NUM = floatNumeric();

    public static final ClassTag<Tensor<Float>> TENSOR_TAG = classTag(Tensor.class);
    public static final ClassTag<Table> TABLE_TAG = classTag(Table.class);

    private static final DataFormat NCHW = DataFormat$.MODULE$.apply("NCHW");

    @SuppressWarnings("unchecked")
    private static TensorNumeric<Float> floatNumeric() {
        try {
            return (TensorNumeric<Float>)
                    Class.forName("com.intel.analytics.bigdl.tensor.TensorNumericMath$TensorNumeric$NumericFloat$")
                            .getField("MODULE$")
                            .get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("BigDL's Float numeric is not reachable", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <X> ClassTag<X> classTag(Class<?> c) {
        return (ClassTag<X>) ClassTag$.MODULE$.apply(c);
    }

    // ---------------------------------------------------------------- engine

    /**
     * Initialises BigDL for in-JVM use (no SparkContext): local mode on {@code cores} threads.
     * Idempotent; a Spark job initialises the engine through its SparkConf instead.
     */
    public static synchronized void initLocal(int cores) {
        System.setProperty("bigdl.localMode", "true");
        if (System.getProperty("bigdl.coreNumber") == null) {
            System.setProperty("bigdl.coreNumber", Integer.toString(cores));
        }
        Engine$.MODULE$.init();
    }

    /** The SparkConf BigDL needs on top of {@code conf} (loads BigDL's engine). */
    public static org.apache.spark.SparkConf sparkConf(org.apache.spark.SparkConf conf) {
        return Engine$.MODULE$.createSparkConf(conf);
    }

    /** Initialises BigDL's engine on the running SparkContext's settings. */
    public static void initEngine() {
        Engine$.MODULE$.init();
    }

    /** The engine's node (executor) count and cores a node. */
    public static int nodes() {
        return Engine$.MODULE$.nodeNumber();
    }

    public static int cores() {
        return Engine$.MODULE$.coreNumber();
    }

    /** Sets the engine's layout inside a task, as BigDL's own executor code does. */
    public static void setNodesAndCores(int nodes, int cores) {
        Engine$.MODULE$.setNodeAndCore(nodes, cores);
    }

    /**
     * Seeds the random generator BigDL's layers draw their initial weights from. BigDL keeps one per
     * thread, so this seeds the calling thread's: call it on the thread that builds the model.
     */
    public static void seedWeights(long seed) {
        com.intel.analytics.bigdl.utils.RandomGenerator$.MODULE$.RNG().setSeed(seed);
    }

    // ---------------------------------------------------------------- graph nodes

    /** A graph input placeholder. */
    public static Node<AbstractModule<Activity, Activity, Float>> input(String name) {
        return Input$.MODULE$.apply(name, FLOAT, NUM);
    }

    /** Connects {@code layer} after the given nodes and returns its node. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Node<AbstractModule<Activity, Activity, Float>> node(
            AbstractModule<?, ?, Float> layer, Node<?>... inputs) {
        return ((AbstractModule) layer).inputs((Node[]) inputs);
    }

    /** A static graph: BigDL's MKL-DNN engine can convert it ({@code toIRgraph}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Graph<Float> graph(Node<?>[] inputs, Node<?>[] outputs) {
        return Graph$.MODULE$.apply((Node[]) inputs, (Node[]) outputs, Option.empty(), FLOAT, NUM);
    }

    // ---------------------------------------------------------------- layers (Scala defaults spelled out)

    public static AbstractModule<?, ?, Float> linear(int in, int out) {
        return Linear$.MODULE$.apply(in, out, true, null, null, null, null, null, null, FLOAT, NUM);
    }

    /** 3x3 convolution, stride 1, padding 1, NCHW. */
    public static AbstractModule<?, ?, Float> conv3x3(int in, int out) {
        return SpatialConvolution$.MODULE$.apply(
                in, out, 3, 3, 1, 1, 1, 1, 1, true, null, null, null, null, null, null, true, NCHW, FLOAT, NUM);
    }

    /**
     * A square convolution, NCHW, no regulariser (weight decay is the optimiser's); its weights drawn as
     * He et al.'s normal with the fan-out (torchvision's ResNet initialisation), its bias if any zero.
     */
    public static AbstractModule<?, ?, Float> conv(int in, int out, int kernel, int stride, int pad, boolean bias) {
        SpatialConvolution<Float> c = SpatialConvolution$.MODULE$.apply(
                in, out, kernel, kernel, stride, stride, pad, pad, 1, true, null, null, null, null, null, null, bias,
                NCHW, FLOAT, NUM);
        c.setInitMethod(new MsraFiller(false), Zeros$.MODULE$);
        return c;
    }

    /** Square max pooling, NCHW, rounding the output size down (PyTorch's default). */
    public static AbstractModule<?, ?, Float> maxPool(int kernel, int stride, int pad) {
        return SpatialMaxPooling$.MODULE$.apply(kernel, kernel, stride, stride, pad, pad, NCHW, FLOAT, NUM);
    }

    /** Average pooling of a {@code side} x {@code side} map to one value a channel. */
    public static AbstractModule<?, ?, Float> averagePool(int side) {
        return SpatialAveragePooling$.MODULE$.apply(side, side, 1, 1, 0, 0, false, false, true, true, NCHW, FLOAT, NUM);
    }

    /** The element-wise sum of a table of equally shaped tensors, written over the first. */
    public static AbstractModule<?, ?, Float> sumInPlace() {
        return CAddTable$.MODULE$.apply(true, FLOAT, NUM);
    }

    /** The element-wise sum of a table of equally shaped tensors, into a tensor of its own. */
    public static AbstractModule<?, ?, Float> sum() {
        return CAddTable$.MODULE$.apply(false, FLOAT, NUM);
    }

    /** ReLU written over its input. */
    public static AbstractModule<?, ?, Float> reluInPlace() {
        return ReLU$.MODULE$.apply(true, FLOAT, NUM);
    }

    /**
     * Per-channel batch normalisation with eps {@code eps} (momentum 0.1 as PyTorch's), scale 1 and shift 0
     * to start.
     */
    public static AbstractModule<?, ?, Float> batchNorm2d(int channels, double eps) {
        SpatialBatchNormalization<Float> bn = SpatialBatchNormalization$.MODULE$.apply(
                channels, eps, 0.1, true, null, null, null, null, NCHW, FLOAT, NUM);
        bn.setInitMethod(Ones$.MODULE$, Zeros$.MODULE$);
        return bn;
    }

    /** Per-channel batch normalisation of an NCHW input (eps 1e-5, momentum 0.1, learned scale and shift). */
    public static AbstractModule<?, ?, Float> batchNorm2d(int channels) {
        return SpatialBatchNormalization$.MODULE$.apply(
                channels, 1e-5, 0.1, true, null, null, null, null, NCHW, FLOAT, NUM);
    }

    public static AbstractModule<?, ?, Float> relu() {
        return ReLU$.MODULE$.apply(false, FLOAT, NUM);
    }

    public static AbstractModule<?, ?, Float> maxPool2() {
        return SpatialMaxPooling$.MODULE$.apply(2, 2, 2, 2, 0, 0, NCHW, FLOAT, NUM);
    }

    public static AbstractModule<?, ?, Float> tanh() {
        return Tanh$.MODULE$.apply(FLOAT, NUM);
    }

    /** Softmax over the last dimension of an N x K input. */
    public static AbstractModule<?, ?, Float> softmax() {
        return SoftMax$.MODULE$.apply(FLOAT, NUM);
    }

    /**
     * Reshape of each sample (the batch dimension is kept). Batch mode is forced, so that a batch of
     * one keeps its batch dimension; BigDL's saved form drops the mode, and a loaded model guesses it
     * from the element count, taking a batch of one for one unbatched sample: forward at least two
     * rows through a loaded model (the jobs' {@code ExecutorInference} pads).
     */
    public static AbstractModule<?, ?, Float> reshape(int... perSampleShape) {
        return Reshape$.MODULE$.apply(perSampleShape, Option.apply((Object) Boolean.TRUE), FLOAT, NUM);
    }

    /** Flattens each C x H x W sample into one vector. */
    public static AbstractModule<?, ?, Float> flatten(int features) {
        View<Float> v = View$.MODULE$.apply(new int[] {features}, FLOAT, NUM);
        return v.setNumInputDims(3);
    }

    /** Batched matrix product of a table (A, B): N x a x b times N x b x c. */
    public static AbstractModule<?, ?, Float> batchMatMul() {
        return MM$.MODULE$.apply(false, false, FLOAT, NUM);
    }

    // ---------------------------------------------------------------- tensors and tables

    public static Tensor<Float> tensor(int... shape) {
        return Tensor$.MODULE$.apply(shape, FLOAT, NUM);
    }

    /** Wraps a row-major float array (no copy) as a tensor of the given shape. */
    public static Tensor<Float> tensor(float[] data, int... shape) {
        return Tensor$.MODULE$.apply(data, shape, FLOAT, NUM);
    }

    /** A dense row-major copy of a tensor's values. */
    public static float[] toArray(Tensor<Float> t) {
        Tensor<Float> c = t.isContiguous() ? t : t.contiguous();
        float[] out = new float[c.nElement()];
        System.arraycopy((float[]) c.storage().array(), c.storageOffset() - 1, out, 0, out.length);
        return out;
    }

    /** Writes {@code n} values of {@code src} from {@code from} into a contiguous tensor, its values from {@code at} on. */
    public static void write(Tensor<Float> t, int at, float[] src, int from, int n) {
        if (!t.isContiguous())
            throw new IllegalArgumentException("not a contiguous tensor: " + Arrays.toString(t.size()));
        System.arraycopy(src, from, (float[]) t.storage().array(), t.storageOffset() - 1 + at, n);
    }

    /**
     * The last output of the layer named {@code name} in {@code net}, a plain graph or BigDL's MKL-DNN form of
     * one (an {@code IRGraph}, whose layers keep the names of those they stand for); null when there is no
     * such layer. An MKL-DNN primitive's output is in MKL-DNN's memory: read only wrapped (non-MKL-DNN) layers'.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Tensor<Float> layerOutput(AbstractModule<?, ?, Float> net, String name) {
        AbstractModule<?, ?, Float> in = net instanceof com.intel.analytics.bigdl.utils.intermediate.IRGraph
                ? ((com.intel.analytics.bigdl.utils.intermediate.IRGraph<Float>) net).graph()
                : net;
        Option<AbstractModule<Activity, Activity, Float>> layer = ((AbstractModule) in).apply(name);
        return layer.isEmpty() ? null : (Tensor<Float>) layer.get().output();
    }

    /** Row-major matrix view of an N x D tensor, as a copy. */
    public static float[][] toMatrix(Tensor<Float> t) {
        int n = t.size(1);
        int d = t.nElement() / n;
        float[] flat = toArray(t);
        float[][] m = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, m[i], 0, d);
        return m;
    }

    /** A two-element table (first, second), BigDL's 1-based indices. */
    public static Table table(Activity first, Activity second) {
        Table t = T$.MODULE$.apply();
        t.insert(first);
        t.insert(second);
        return t;
    }

    @SuppressWarnings("unchecked")
    public static Tensor<Float> tensorAt(Table t, int oneBasedIndex) {
        return (Tensor<Float>) t.apply(oneBasedIndex);
    }

    /** The tensor a table holds under a string key (e.g. a layer's "weight" in its parameter table). */
    @SuppressWarnings("unchecked")
    public static Tensor<Float> tensorAt(Table t, String key) {
        return (Tensor<Float>) t.apply(key);
    }

    // ---------------------------------------------------------------- samples, files, optimiser, broadcast

    /** A training sample: an image tensor and its label vector. */
    public static com.intel.analytics.bigdl.dataset.Sample<Float> sample(Tensor<Float> feature, Tensor<Float> label) {
        return com.intel.analytics.bigdl.dataset.Sample$.MODULE$.apply(feature, label, FLOAT, NUM);
    }

    /** A model in BigDL's protobuf format from a local path or URI. */
    public static AbstractModule<Activity, Activity, Float> loadModule(String path) {
        return com.intel.analytics.bigdl.nn.Module$.MODULE$.loadModule(path, null, FLOAT, NUM);
    }

    /** An optimisation method (with its state) saved by {@code OptimMethod.save}. */
    public static com.intel.analytics.bigdl.optim.OptimMethod<Float> loadOptimMethod(String path) {
        return com.intel.analytics.bigdl.optim.OptimMethod$.MODULE$.load(path, FLOAT);
    }

    /** BigDL's distributed optimiser (DistriOptimizer on Spark) over a sample RDD. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static com.intel.analytics.bigdl.optim.Optimizer<Float, ?> optimizer(
            AbstractModule<Activity, Activity, Float> model,
            org.apache.spark.rdd.RDD<com.intel.analytics.bigdl.dataset.Sample<Float>> data,
            com.intel.analytics.bigdl.nn.abstractnn.AbstractCriterion<?, ?, Float> criterion,
            int batchSize) {
        return com.intel.analytics.bigdl.optim.Optimizer$.MODULE$.apply(
                model,
                data,
                (com.intel.analytics.bigdl.nn.abstractnn.AbstractCriterion) criterion,
                batchSize,
                null,
                null,
                FLOAT,
                NUM);
    }

    /** The end trigger that stops after epoch {@code epoch}. */
    public static com.intel.analytics.bigdl.optim.Trigger maxEpoch(int epoch) {
        return com.intel.analytics.bigdl.optim.Trigger$.MODULE$.maxEpoch(epoch);
    }

    /** Broadcasts a model to the executors, BigDL's way: the weights once, shared by the tasks of an executor. */
    public static com.intel.analytics.bigdl.models.utils.ModelBroadcast<Float> broadcast(
            org.apache.spark.SparkContext sc, AbstractModule<Activity, Activity, Float> net) {
        return com.intel.analytics.bigdl.models.utils.ModelBroadcast$.MODULE$
                .apply(FLOAT, NUM)
                .broadcast(sc, net);
    }
}
