package io.mlh.core.bigdl;

import com.intel.analytics.bigdl.nn.StaticGraph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.nn.mkldnn.Fusion$;
import com.intel.analytics.bigdl.nn.mkldnn.MklDnnLayer;
import com.intel.analytics.bigdl.nn.mkldnn.SpatialConvolution;
import com.intel.analytics.bigdl.utils.Node;
import com.intel.analytics.bigdl.utils.intermediate.IRGraph;
import io.mlh.core.config.MlhConfig.Engine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An MLH graph run in int8 on MKL-DNN: its convolutions (with their batch norms, ReLUs and residual
 * sums fused in) take and give 8-bit integers scaled by {@link Int8Scales}; everything after the
 * backbone (the hash head, the MoH gates and experts, tanh) stays fp32, as do the codes' signs.
 *
 * <p>BigDL 0.13 needs two things done for it. Its MKL-DNN graph fuses layers when it first runs, walking
 * its layers from the last to the first; a residual sum fused into a convolution keeps a reference to
 * the layer that feeds it, and when that layer is a ReLU a later step of the same walk fuses into the
 * previous block's convolution, the reference points at a layer no longer in the graph, which int8
 * reads (fp32 never does) and fails on. {@link #build} therefore runs BigDL's own fusion steps in
 * BigDL's own order before the first pass, then points each such sum at what now stands in its
 * input's place; the graph's own fusion, run again at the first pass, then finds nothing left to fuse.
 * And a convolution whose scales are missing silently stays fp32, so {@link #requireQuantized} checks
 * after the first pass that none did.
 */
public final class Int8Inference {
    private Int8Inference() {}

    /** Why int8 cannot run in this JVM, or null when it can: it needs MKL-DNN and a CPU with AVX512-VNNI. */
    public static String unavailable() {
        if (ComputeEngine.current() != Engine.MKLDNN)
            return "int8 runs on MKL-DNN only and BigDL's engine here is "
                    + ComputeEngine.current().configName() + " (mlh.train.engine = mkldnn)";
        return cpuUnsupported(Paths.get("/proc/cpuinfo"));
    }

    /**
     * Why the CPU {@code cpuinfo} describes cannot run MKL-DNN's int8 kernels well, or null: the bundled
     * MKL-DNN has int8 convolutions for AVX512-VNNI; without it they run slower than fp32.
     */
    public static String cpuUnsupported(Path cpuinfo) {
        String info;
        try {
            info = new String(Files.readAllBytes(cpuinfo), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "cannot read " + cpuinfo + " to check the CPU for AVX512-VNNI: " + e;
        }
        for (String line : info.split("\n")) {
            if (!line.startsWith("flags")) continue;
            for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                if (flag.equals("avx512_vnni")) return null;
            return "this CPU has no AVX512-VNNI (no avx512_vnni among the flags in " + cpuinfo
                    + "): MKL-DNN's int8 convolutions would run slower than fp32";
        }
        return "no CPU flags in " + cpuinfo + " to check for AVX512-VNNI";
    }

    /**
     * The int8 MKL-DNN model for {@code graph}, a {@link ComputeEngine#forMklDnn} copy of a plain graph
     * whose layers hold their {@link Int8Scales}. Fused now; MKL-DNN's primitives are built at the first
     * pass, after which {@link #requireQuantized} should be called.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static AbstractModule<Activity, Activity, Float> build(StaticGraph<Float> graph) {
        String why = unavailable();
        if (why != null) throw new IllegalStateException(why);
        IRGraph<Float> ir = (IRGraph<Float>) (Object) ComputeEngine.toMklDnn(graph);
        ir.setQuantize(true);
        Node[] nodes = (Node[]) (Object) ir.graph().getSortedForwardExecutions(); // the MKL-DNN graph's order
        Map<Object, Node> at = new IdentityHashMap<>();
        for (Node n : nodes) at.put(n.element(), n);
        Fusion$ fusion = Fusion$.MODULE$;
        for (int step = 0; step <= 4; step++) {
            for (int i = nodes.length - 1; i >= 0; i--) {
                if (step == 0) fusion.fuseScale(nodes[i]);
                if (step == 1) fusion.fuseModule(nodes[i]);
                if (step == 2) fusion.setNegativeInputOfConv(nodes[i]);
                if (step == 3) fusion.fuseCAdd(nodes[i]);
                if (step == 4) fusion.setScalesPrevousJoinTable(nodes[i]);
            }
        }
        Set<Object> inGraph = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : nodes) inGraph.add(n.element());
        for (Node n : nodes) {
            if (!(n.element() instanceof SpatialConvolution)) continue;
            SpatialConvolution conv = (SpatialConvolution) n.element();
            if (conv.sum() && !inGraph.contains(conv.sumOp()))
                conv.sumOp_$eq((MklDnnLayer) at.get(conv.sumOp()).element());
        }
        return ir;
    }

    /**
     * Fails, naming them, when convolutions of {@code net} (a {@link #build} model that has run once)
     * run in fp32: a network whose scales do not cover it would otherwise be slow and look int8.
     * Returns the number of int8 convolutions.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static int requireQuantized(AbstractModule<Activity, Activity, Float> net) {
        IRGraph<Float> ir = (IRGraph<Float>) (Object) net;
        List<String> fp32 = new ArrayList<>();
        int int8 = 0;
        for (Object o : ir.graph().getSortedForwardExecutions()) {
            Object m = ((Node) o).element();
            if (!(m instanceof SpatialConvolution)) continue;
            if (((SpatialConvolution) m).needQuantize()) int8++;
            else fp32.add(((SpatialConvolution) m).getName());
        }
        if (!fp32.isEmpty() || int8 == 0)
            throw new IllegalStateException("int8 asked for, but "
                    + (int8 == 0 ? "no convolution" : fp32.size() + " convolutions (" + String.join(", ", fp32) + ")")
                    + " of the network run in int8");
        return int8;
    }
}
