package io.mlh.core.model;

import static io.mlh.core.bigdl.BigDL.batchMatMul;
import static io.mlh.core.bigdl.BigDL.linear;
import static io.mlh.core.bigdl.BigDL.node;
import static io.mlh.core.bigdl.BigDL.reshape;
import static io.mlh.core.bigdl.BigDL.softmax;
import static io.mlh.core.bigdl.BigDL.tanh;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Node;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.MohMode;

/**
 * The Mixture-of-Hash-Experts heads. Expert k is a Linear(d -> q) giving e_k; each branch b has a
 * gate Linear(d -> K) + softmax giving g_b; the branch code is u_b = tanh(sum_k g_{b,k} e_k).
 *
 * <p>The K experts are one Linear(d -> K*q) reshaped to N x K x q, and the gate mix is one batched
 * matrix product (N x 1 x K)(N x K x q): two GEMMs instead of K small ones.
 *
 * <ul>
 *   <li>{@code shared}: both branches mix the same experts, each with its own gate (the MLH default);
 *   <li>{@code separate}: each branch has its own experts and gate;
 *   <li>{@code none}: each branch is a plain Linear(d -> q) + tanh (dual hash layers).
 * </ul>
 */
public final class MixtureOfHashExperts {
    private MixtureOfHashExperts() {}

    /** Layer names, so gates and experts can be found in a trained model. */
    public static final String CENTRE = "centre", PAIRWISE = "pairwise";
    /** Suffix of a branch's softmax gate layer: {@code centre-gate-weights} outputs N x K weights. */
    public static final String GATE_WEIGHTS = "-gate-weights";
    /** Suffixes of the balance layer after a branch's gate weights and the diversity layer after an expert bank. */
    public static final String BALANCE = "-gate-balance", DIVERSITY = "-diversity";
    /** The expert bank's layer: {@code experts} shared, {@code centre-experts} and {@code pairwise-experts} separate. */
    private static final String EXPERTS = "experts";

    /** One training-term layer of the heads: its name, the label logs give its value, and its input's shape a row. */
    public static final class Term implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        public final String layer, label;
        public final int[] rowShape;
        private final boolean balance;

        private Term(String layer, String label, boolean balance, int... rowShape) {
            this.layer = layer;
            this.label = label;
            this.balance = balance;
            this.rowShape = rowShape;
        }

        /** The term's value, unweighted, on {@code n} rows of its layer's input (row-major). */
        public double value(float[] rows, int n) {
            return balance
                    ? GateBalance.penalty(rows, n, rowShape[0])
                    : ExpertDiversity.penalty(rows, n, rowShape[0], rowShape[1], null);
        }
    }

    /**
     * The training-term layers the heads of {@code spec} hold at code length q: each gate's balance term (B_c,
     * B_p; on its N x K weights), then the diversity term of the shared bank (D) or of each branch's (D_c,
     * D_p; on the N x K x q expert outputs). Empty when neither term is weighted.
     */
    public static java.util.List<Term> terms(Spec spec, int q) {
        java.util.List<Term> out = new java.util.ArrayList<>();
        if (spec.mode == MohMode.NONE) return out;
        if (spec.balance > 0) {
            out.add(new Term(CENTRE + BALANCE, "B_c", true, spec.experts));
            out.add(new Term(PAIRWISE + BALANCE, "B_p", true, spec.experts));
        }
        if (spec.diversity > 0 && spec.mode == MohMode.SHARED) {
            out.add(new Term(EXPERTS + DIVERSITY, "D", false, spec.experts, q));
        } else if (spec.diversity > 0) {
            out.add(new Term(CENTRE + "-" + EXPERTS + DIVERSITY, "D_c", false, spec.experts, q));
            out.add(new Term(PAIRWISE + "-" + EXPERTS + DIVERSITY, "D_p", false, spec.experts, q));
        }
        return out;
    }

    /** How the heads mix: the mode, K, the gates' top-k and the balance and diversity terms' weights. */
    public static final class Spec {
        final MohMode mode;
        final int experts, topK;
        final double balance, diversity;

        public Spec(MohMode mode, int experts, int topK, double balance, double diversity) {
            this.mode = mode;
            this.experts = experts;
            this.topK = topK;
            this.balance = balance;
            this.diversity = diversity;
        }

        /** The heads a config trains ({@code moh.*}, with the method's effective mode). */
        public static Spec of(MlhConfig c) {
            return new Spec(
                    c.effectiveMohMode(), c.experts(), c.gateTopK(), c.gateBalanceWeight(), c.expertDiversityWeight());
        }
    }

    /** Builds the two heads on {@code features} (width d); returns {u_c, u_p}. */
    @SuppressWarnings("unchecked")
    static Node<AbstractModule<Activity, Activity, Float>>[] heads(
            Node<AbstractModule<Activity, Activity, Float>> features, int d, int q, Spec spec) {
        MohMode mode = spec.mode;
        int experts = spec.experts;
        switch (mode) {
            case NONE:
                return new Node[] {plainHead(features, d, q, CENTRE), plainHead(features, d, q, PAIRWISE)};
            case SEPARATE:
                return new Node[] {
                    gatedHead(features, expertBank(features, d, q, spec, CENTRE + "-" + EXPERTS), d, q, spec, CENTRE),
                    gatedHead(
                            features, expertBank(features, d, q, spec, PAIRWISE + "-" + EXPERTS), d, q, spec, PAIRWISE)
                };
            case SHARED:
                Node<AbstractModule<Activity, Activity, Float>> bank = expertBank(features, d, q, spec, EXPERTS);
                return new Node[] {
                    gatedHead(features, bank, d, q, spec, CENTRE), gatedHead(features, bank, d, q, spec, PAIRWISE)
                };
            default:
                throw new IllegalArgumentException("unknown MoH mode " + mode);
        }
    }

    /** The heads alone on a d-wide input: a graph from features to the table (u_c, u_p); top-k = K: dense gates. */
    public static Graph<Float> standalone(int d, int q, MohMode mode, int experts, int topK) {
        return standalone(d, q, new Spec(mode, experts, topK, 0, 0));
    }

    /** The same for any spec. */
    public static Graph<Float> standalone(int d, int q, Spec spec) {
        Node<AbstractModule<Activity, Activity, Float>> in = BigDL.input("features");
        return BigDL.graph(new Node<?>[] {in}, heads(in, d, q, spec));
    }

    private static Node<AbstractModule<Activity, Activity, Float>> plainHead(
            Node<AbstractModule<Activity, Activity, Float>> f, int d, int q, String branch) {
        return node(tanh(), node(named(linear(d, q), branch + "-hash"), f));
    }

    /** K experts as one Linear(d -> K*q), reshaped to N x K x q (through {@link ExpertDiversity} if weighted). */
    private static Node<AbstractModule<Activity, Activity, Float>> expertBank(
            Node<AbstractModule<Activity, Activity, Float>> f, int d, int q, Spec spec, String name) {
        int k = spec.experts;
        Node<AbstractModule<Activity, Activity, Float>> bank =
                node(reshape(k, q), node(named(linear(d, k * q), name), f));
        return spec.diversity > 0 ? node(named(new ExpertDiversity(spec.diversity), name + DIVERSITY), bank) : bank;
    }

    /**
     * u = tanh(g E) with g = softmax(Linear(d -> K) f) as N x 1 x K and E the N x K x q experts; with
     * top-k below K, g keeps each row's k largest weights, renormalised ({@link TopKGate}).
     */
    private static Node<AbstractModule<Activity, Activity, Float>> gatedHead(
            Node<AbstractModule<Activity, Activity, Float>> f,
            Node<AbstractModule<Activity, Activity, Float>> bank,
            int d,
            int q,
            Spec spec,
            String branch) {
        int k = spec.experts;
        Node<AbstractModule<Activity, Activity, Float>> logits = node(named(linear(d, k), branch + "-gate"), f);
        Node<AbstractModule<Activity, Activity, Float>> gate = spec.topK >= k
                ? node(named(softmax(), branch + GATE_WEIGHTS), logits)
                : node(named(new TopKGate(spec.topK), branch + GATE_WEIGHTS), node(softmax(), logits));
        if (spec.balance > 0) gate = node(named(new GateBalance(spec.balance), branch + BALANCE), gate);
        Node<AbstractModule<Activity, Activity, Float>> mixed = node(batchMatMul(), node(reshape(1, k), gate), bank);
        return node(tanh(), node(reshape(q), mixed));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static AbstractModule<?, ?, Float> named(AbstractModule<?, ?, Float> m, String name) {
        return (AbstractModule<?, ?, Float>) ((AbstractModule) m).setName(name);
    }
}
