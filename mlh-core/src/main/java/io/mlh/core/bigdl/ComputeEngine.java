package io.mlh.core.bigdl;

import com.intel.analytics.bigdl.mkl.Memory;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.Identity$;
import com.intel.analytics.bigdl.nn.Linear;
import com.intel.analytics.bigdl.nn.MM;
import com.intel.analytics.bigdl.nn.StaticGraph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Edge$;
import com.intel.analytics.bigdl.utils.Engine$;
import com.intel.analytics.bigdl.utils.MklBlas$;
import com.intel.analytics.bigdl.utils.MklDnn$;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.Shape;
import com.intel.analytics.bigdl.utils.Shape$;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.config.MlhConfig.Engine;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * BigDL's two compute engines and what running an MLH graph on MKL-DNN takes.
 *
 * <p>The engine is JVM-wide: BigDL reads {@code bigdl.engineType} once, when its {@code Engine}
 * object loads, and only then sets up MKL-DNN's threads. So {@link #select} must run before any
 * BigDL engine call (Spark jobs: before the SparkConf is built).
 *
 * <p>On MKL-DNN, BigDL turns a static graph into MKL-DNN layers ({@code toIRgraph}): convolutions,
 * pooling, ReLU, Linear and SoftMax become native primitives, every other layer runs as itself inside
 * a wrapper that must know its output shape. The one MLH layer that cannot say its output shape is
 * the batched matrix product of the MoH mix ({@code MM}); {@link #forMklDnn} therefore hands BigDL a
 * copy of the graph where each {@code MM} is a {@link ShapedMM} (same computation, shape known), and
 * declares the two N x q outputs. The copy trains; its weights and batch-norm statistics are copied back
 * with {@link #copyTrainedState}.
 * Saved models always hold the plain graph.
 */
public final class ComputeEngine {
    private ComputeEngine() {}

    /**
     * Selects the engine for this JVM. Fails if BigDL's engine already runs with the other kind:
     * its MKL-DNN thread set-up happens only when the engine loads.
     */
    public static synchronized void select(Engine kind) {
        System.setProperty("bigdl.engineType", kind.configName());
        Engine running = current();
        if (running != kind) {
            throw new IllegalStateException("BigDL's engine already started as " + running.configName()
                    + "; the engine (mlh.train.engine = " + kind.configName()
                    + ") must be chosen before BigDL starts");
        }
    }

    /** The engine BigDL runs (loads BigDL's engine if it has not loaded yet). */
    public static Engine current() {
        return Engine$.MODULE$.getEngineType() == MklDnn$.MODULE$ ? Engine.MKLDNN : Engine.MKLBLAS;
    }

    /**
     * Switches a running engine (tests only: no MKL-DNN thread set-up happens). Returns the previous
     * kind so the caller can restore it.
     */
    public static Engine switchForTest(Engine kind) {
        Engine before = current();
        Engine$.MODULE$.setEngineType(kind == Engine.MKLDNN ? MklDnn$.MODULE$ : MklBlas$.MODULE$);
        return before;
    }

    /**
     * A copy of an MLH graph that BigDL's MKL-DNN engine can convert and train: each {@code MM} is
     * replaced by a {@link ShapedMM} and the outputs are declared as 2-D (N x q) tensors. Weights are
     * copied; the plain graph is left as it is.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static StaticGraph<Float> forMklDnn(Graph<Float> net) {
        Graph<Float> clone = (Graph<Float>) net.cloneModule();
        for (Node n : clone.getSortedForwardExecutions()) {
            Object layer = n.element();
            if (layer instanceof MM && !(layer instanceof ShapedMM)) {
                MM<Float> mm = (MM<Float>) layer;
                n.element_$eq(new ShapedMM(mm.transA(), mm.transB()).setName(mm.getName()));
            } else if (!(layer instanceof Linear) && n.nextNodes().size() > 1) {
                fanOutThroughIdentity(n);
            }
        }
        List<Node<?>> in = JavaConverters.seqAsJavaListConverter((Seq<Node<?>>) (Seq) clone.inputs())
                .asJava();
        List<Node<?>> out = JavaConverters.seqAsJavaListConverter((Seq<Node<?>>) (Seq) clone.outputs())
                .asJava();
        for (Node<?> o : out) o.removeNextEdges(); // the clone's own end marker
        StaticGraph<Float> copy =
                (StaticGraph<Float>) BigDL.graph(in.toArray(new Node<?>[0]), out.toArray(new Node<?>[0]));
        int outputs = copy.outputs().size();
        Integer[] formats = new Integer[outputs];
        Arrays.fill(formats, Memory.Format.nc);
        copy.setInputFormats(seq(Arrays.asList((Object) Memory.Format.nchw)));
        copy.setOutputFormats(seq(Arrays.asList((Object[]) formats)));
        return copy;
    }

    /**
     * Puts an Identity between a wrapped (non-MKL-DNN) layer and its several successors. BigDL 0.13's
     * MKL-DNN graph sums the gradients of a fan-out in the format of the first successor only, so a
     * wrapped layer feeding several MKL-DNN layers gets native tensors it cannot add; an MKL-DNN
     * Identity sums them natively and hands the wrapped layer one gradient.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void fanOutThroughIdentity(Node n) {
        List<Node> next = new java.util.ArrayList<>(
                JavaConverters.seqAsJavaListConverter((Seq<Node>) n.nextNodes()).asJava());
        for (Node s : next) if (s.prevNodes().size() != 1) return; // only single-input successors are rewired
        n.removeNextEdges();
        Node identity = new Node(Identity$.MODULE$
                .apply(BigDL.FLOAT, BigDL.NUM)
                .setName(((AbstractModule) n.element()).getName() + "-fanout"));
        n.add(identity, Edge$.MODULE$.apply());
        for (Node s : next) identity.add(s, Edge$.MODULE$.apply());
    }

    /** The MKL-DNN model BigDL runs for {@code graph} (a {@link #forMklDnn} copy), built now. */
    public static AbstractModule<Activity, Activity, Float> toMklDnn(StaticGraph<Float> graph) {
        if (current() != Engine.MKLDNN) throw new IllegalStateException("BigDL's engine is not mkldnn");
        return graph.toIRgraph();
    }

    /**
     * Copies what training changed from {@code from} into {@code to}, two forms of one MLH graph (plain,
     * {@link #forMklDnn} copy, or MKL-DNN): the weights and the extra parameters (batch-norm running
     * means and variances). The weights go in the order of the graphs' flat weight vectors, since
     * MKL-DNN's batch norm keeps gamma and beta as one tensor [gamma..., beta...] where the plain layer
     * has two; they are written into {@code to}'s own tensors (compacting them would leave BigDL's
     * cached weight views behind). Afterwards every named layer's weights are checked to have arrived,
     * so graphs whose layers are ordered differently fail, naming the layer.
     */
    public static void copyTrainedState(AbstractModule<?, ?, Float> from, AbstractModule<?, ?, Float> to) {
        Tensor<Float>[] src = from.parameters()._1(), dst = to.parameters()._1();
        long have = 0, want = 0;
        for (Tensor<Float> t : src) have += t.nElement();
        for (Tensor<Float> t : dst) want += t.nElement();
        if (have != want) throw new IllegalArgumentException("the graphs have " + have + " and " + want + " weights");
        int j = 0, at = 0; // the next value's tensor and position in dst
        for (Tensor<Float> t : src) {
            float[] values = BigDL.toArray(t);
            for (int done = 0; done < values.length; ) {
                while (at == dst[j].nElement()) {
                    j++;
                    at = 0;
                }
                int n = Math.min(values.length - done, dst[j].nElement() - at);
                BigDL.write(dst[j], at, values, done, n);
                done += n;
                at += n;
            }
        }
        Map<String, Table> sent = layers(from), arrived = layers(to);
        if (!sent.keySet().equals(arrived.keySet())) {
            throw new IllegalArgumentException(
                    "the graphs' weighted layers differ: " + sent.keySet() + " vs " + arrived.keySet());
        }
        for (Map.Entry<String, Table> e : sent.entrySet()) {
            if (!Arrays.equals(weightThenBias(e.getValue()), weightThenBias(arrived.get(e.getKey())))) {
                throw new IllegalArgumentException(
                        "layer " + e.getKey() + " sits elsewhere in the two graphs' weight vectors");
            }
        }
        Tensor<Float>[] extra = from.getExtraParameter(), target = to.getExtraParameter();
        int n = extra == null ? 0 : extra.length, m = target == null ? 0 : target.length;
        if (n != m)
            throw new IllegalArgumentException("the graphs have " + n + " and " + m + " extra parameter tensors");
        for (int i = 0; i < n; i++) {
            if (extra[i].nElement() != target[i].nElement()) {
                throw new IllegalArgumentException("extra parameter " + i + " has " + extra[i].nElement()
                        + " values there and " + target[i].nElement() + " here");
            }
            target[i].copy(extra[i]);
        }
    }

    /** The weighted layers by name, each with its parameter table. */
    private static Map<String, Table> layers(AbstractModule<?, ?, Float> m) {
        Map<String, Table> out = new TreeMap<>();
        Table all = m.getParametersTable();
        scala.collection.Iterator<Object> names = all.keySet().iterator();
        while (names.hasNext()) {
            Object name = names.next();
            out.put(name.toString(), (Table) all.apply(name));
        }
        return out;
    }

    /** A layer's weight then bias values (MKL-DNN's batch norm: its one weight tensor). */
    private static float[] weightThenBias(Table p) {
        float[] w = p.contains("weight") ? BigDL.toArray(BigDL.tensorAt(p, "weight")) : new float[0];
        float[] b = p.contains("bias") ? BigDL.toArray(BigDL.tensorAt(p, "bias")) : new float[0];
        float[] all = Arrays.copyOf(w, w.length + b.length);
        System.arraycopy(b, 0, all, w.length, b.length);
        return all;
    }

    private static <X> Seq<X> seq(List<X> list) {
        return JavaConverters.asScalaBufferConverter(list).asScala();
    }

    /** BigDL's batched matrix product, able to say its output shape (MKL-DNN wraps it). */
    public static final class ShapedMM extends MM<Float> {
        private static final long serialVersionUID = 1L;

        public ShapedMM(boolean transA, boolean transB) {
            super(transA, transB, BigDL.FLOAT, BigDL.NUM);
        }

        @Override
        public Shape computeOutputShape(Shape inputShape) {
            List<Shape> in =
                    JavaConverters.seqAsJavaListConverter(inputShape.toMulti()).asJava();
            int[] a = toInts(in.get(0)), b = toInts(in.get(1));
            int r = a.length;
            int rows = transA() ? a[r - 1] : a[r - 2];
            int cols = transB() ? b[r - 2] : b[r - 1];
            int[] out = Arrays.copyOf(a, r);
            out[r - 2] = rows;
            out[r - 1] = cols;
            return Shape$.MODULE$.apply(out);
        }

        private static int[] toInts(Shape s) {
            List<Object> dims =
                    JavaConverters.seqAsJavaListConverter(s.toSingle()).asJava();
            int[] d = new int[dims.size()];
            for (int i = 0; i < d.length; i++) d[i] = (Integer) dims.get(i);
            return d;
        }
    }
}
