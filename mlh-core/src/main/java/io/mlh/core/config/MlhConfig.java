package io.mlh.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The typed, validated view of the {@code mlh} config tree. Every default lives in
 * {@code reference.conf}; a config is checked once, on load (unknown keys, types, ranges), and
 * fails with a {@link ConfigError} (an IllegalArgumentException) naming the full key. Instances are
 * immutable; {@link #with} makes validated copies.
 *
 * <p>The methods are configurations of one model and one training loop: {@link Method} says which
 * branches and losses train; see {@link #usesCentreBranch()} and the other effective settings.
 */
public final class MlhConfig implements Serializable {
    private static final long serialVersionUID = 2L;
    public static final String ROOT = "mlh";

    // ------------------------------------------------------------------ enums

    /** The training recipes: MLH and its baselines, all run by the same model and loop. */
    public enum Method implements ConfigChoice {
        /** both branches, MoH, mutual loss */
        MLH(true, true, true),
        /** centre branch alone, CSQ's BCE-to-centre loss, plain hash layer */
        CSQ(true, false, false),
        /** centre branch alone, the softmax-over-centres L_C, plain hash layer */
        MDS(true, false, false),
        /** pairwise branch alone, L_P, plain hash layer */
        DPSH(false, true, false),
        /** both branches and the mutual loss, MoH off (dual hash layers) */
        DUAL(true, true, true);
        private final boolean centre, pairwise, mutual;

        Method(boolean centre, boolean pairwise, boolean mutual) {
            this.centre = centre;
            this.pairwise = pairwise;
            this.mutual = mutual;
        }

        /** Whether L_C (or CSQ's loss) trains the centre branch. */
        public boolean usesCentreBranch() {
            return centre;
        }
        /** Whether L_P trains the pairwise branch. */
        public boolean usesPairwiseBranch() {
            return pairwise;
        }
        /** Whether L_M couples the branches (needs both). */
        public boolean usesMutual() {
            return mutual;
        }
    }

    public enum Backbone implements ConfigChoice {
        VGG_SMALL,
        VGG_SMALL_BN,
        RESNET_18,
        RESNET_34,
        RESNET_50,
        RESNET_101;

        /** vgg-small and vgg-small-bn: the 28-32 px backbones trained from scratch. */
        public boolean isVggSmall() {
            return this == VGG_SMALL || this == VGG_SMALL_BN;
        }

        /** The ResNet's depth (18, 34, 50, 101); 0 for the others. */
        public int resNetDepth() {
            return isVggSmall() ? 0 : Integer.parseInt(configName().substring("resnet-".length()));
        }
    }

    public enum MohMode implements ConfigChoice {
        SHARED,
        SEPARATE,
        NONE;
    }

    public enum CentreLoss implements ConfigChoice {
        MLH,
        CSQ;
    }

    public enum MutualMode implements ConfigChoice {
        JOINT,
        ALTERNATE;
    }

    public enum EncodeBranch implements ConfigChoice {
        AUTO,
        CENTRE,
        PAIRWISE;
    }

    public enum LrPolicy implements ConfigChoice {
        CONSTANT,
        STEP,
        COSINE;
    }

    public enum OptimizerKind implements ConfigChoice {
        ADAM,
        RMSPROP,
        SGD;
    }

    /** BigDL's compute engine (JVM-wide, chosen before BigDL starts): MKL BLAS layers or MKL-DNN primitives. */
    public enum Engine implements ConfigChoice {
        MKLBLAS,
        MKLDNN;
    }

    // ------------------------------------------------------------------ the keys (reference.conf: defaults, meanings)

    public static final Key<Method> METHOD = Key.choice("method", Method.class);
    public static final Key<Integer> BITS = Key.integer("bits")
            .check(b -> b >= 8 && b <= 1024 && b % 8 == 0 ? null : "must be a multiple of 8 in 8..1024, got " + b);
    public static final Key<Integer> CLASSES = Key.integer("classes", 2);
    public static final Key<Long> SEED = Key.longInteger("seed");
    public static final Key<Backbone> BACKBONE = Key.choice("model.backbone", Backbone.class);
    public static final Key<Integer> INPUT_CHANNELS = Key.integer("model.input-channels", 1, 4);
    public static final Key<Integer> INPUT_SIZE = Key.integer("model.input-size", 1);
    public static final Key<String> PRETRAINED = Key.string("model.pretrained");
    public static final Key<MohMode> MOH_MODE = Key.choice("moh.mode", MohMode.class);
    public static final Key<Integer> EXPERTS = Key.integer("moh.experts", 1);
    /** The gates' sparsity: weights each gate keeps (not a retrieval cut). */
    public static final Key<Integer> GATE_TOP_K = Key.integer("moh.top-k", 0);

    public static final Key<Double> BALANCE_WEIGHT = Key.number("moh.balance-weight", 0);
    public static final Key<Double> DIVERSITY_WEIGHT = Key.number("moh.diversity-weight", 0);
    public static final Key<Double> CENTRE_WEIGHT = Key.number("loss.centre-weight", 0);
    public static final Key<Double> PAIRWISE_WEIGHT = Key.number("loss.pairwise-weight", 0);
    public static final Key<Integer> PAIRWISE_REFERENCE_BITS = Key.integer("loss.pairwise-reference-bits", 0);
    public static final Key<Double> MUTUAL_WEIGHT = Key.number("loss.mutual-weight", 0);
    public static final Key<Double> CENTRE_QUANTIZATION = Key.number("loss.centre-quantization", 0);
    public static final Key<Double> PAIRWISE_QUANTIZATION = Key.number("loss.pairwise-quantization", 0);
    public static final Key<CentreLoss> CENTRE_LOSS = Key.choice("centre.loss", CentreLoss.class);
    public static final Key<Integer> CENTRE_MIN_DISTANCE = Key.integer("centre.min-distance", 0);
    public static final Key<Double> CENTRE_SCALE = Key.number("centre.scale", 0);
    public static final Key<MutualMode> MUTUAL_MODE = Key.choice("mutual.mode", MutualMode.class);
    public static final Key<Integer> MUTUAL_START_EPOCH = Key.integer("mutual.start-epoch", 0);
    public static final Key<EncodeBranch> ENCODE_BRANCH = Key.choice("encode.branch", EncodeBranch.class);
    public static final Key<Integer> BATCH_SIZE = Key.integer("train.batch-size", 2); // the pairwise loss needs pairs
    public static final Key<Integer> EPOCHS = Key.integer("train.epochs", 1);
    public static final Key<OptimizerKind> OPTIMIZER = Key.choice("train.optimizer", OptimizerKind.class);
    public static final Key<Double> LEARNING_RATE =
            Key.number("train.learning-rate").check(v -> v > 0 ? null : "must be > 0, got " + v);
    public static final Key<Double> BACKBONE_LR_MULTIPLIER = Key.number("train.backbone-lr-multiplier", 0);
    public static final Key<Double> WEIGHT_DECAY = Key.number("train.weight-decay", 0);
    public static final Key<Double> MOMENTUM =
            Key.number("train.momentum", 0).check(v -> v < 1 ? null : "must be in [0, 1), got " + v);
    public static final Key<LrPolicy> LR_SCHEDULE = Key.choice("train.lr-schedule", LrPolicy.class);
    public static final Key<Integer> LR_STEP_EPOCHS = Key.integer("train.lr-step-epochs", 1);
    public static final Key<Double> LR_GAMMA =
            Key.number("train.lr-gamma").check(v -> v > 0 && v <= 1 ? null : "must be in (0, 1], got " + v);
    public static final Key<Integer> LR_WARMUP_EPOCHS = Key.integer("train.lr-warmup-epochs", 0);
    public static final Key<Engine> ENGINE = Key.choice("train.engine", Engine.class);

    /** The model's keys, as declared above. */
    public static final List<Key<?>> KEYS = Key.declaredIn(MlhConfig.class);

    // ------------------------------------------------------------------ state

    private final Config config; // the resolved mlh tree (defaults included), rooted above "mlh"
    private final Map<String, Object> values = new HashMap<>(); // every model key's value, by name

    private MlhConfig(Config resolved) {
        Config c;
        try {
            c = resolved.getConfig(ROOT);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigError(ROOT, "must be an object holding the MLH settings (" + e.getMessage() + ")");
        }
        KnownKeys.rejectUnknown(c);
        this.config = c.atKey(ROOT);
        ConfigReader r = reader();
        for (Key<?> k : KEYS) values.put(k.name(), r.get(k));
        validate();
    }

    /** A model key's value. */
    public <T> T get(Key<T> key) {
        if (!values.containsKey(key.name())) throw new IllegalArgumentException(key + " is not a model key");
        @SuppressWarnings("unchecked")
        T v = (T) values.get(key.name());
        return v;
    }

    /** Reads any key of the tree (the jobs' keys too), checked. */
    public ConfigReader reader() {
        return new ConfigReader(config.getConfig(ROOT), ROOT);
    }

    // ------------------------------------------------------------------ loading

    private static final class Defaults {
        static final MlhConfig INSTANCE = load(ConfigFactory.empty());
    }

    /** The reference defaults alone. */
    public static MlhConfig defaults() {
        return Defaults.INSTANCE;
    }

    /** {@code userConfig} over the reference defaults; keys outside {@code mlh} are ignored. */
    public static MlhConfig load(Config userConfig) {
        Config resolved;
        try {
            resolved = userConfig.withFallback(ConfigFactory.defaultReference()).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new IllegalArgumentException("config does not resolve: " + e.getMessage(), e);
        }
        return new MlhConfig(resolved);
    }

    /**
     * A HOCON file (null for none) with {@code key=value} overrides on top, later overrides winning.
     * Keys may omit the "mlh." prefix; values are HOCON ("32", "resnet-50", "[1, 2]"), and a bare
     * value HOCON cannot read, or that holds "//" or "#" (paths, URLs), is taken as a literal string.
     */
    public static MlhConfig load(Path hoconFile, List<String> overrides) {
        Config user = ConfigFactory.empty();
        if (hoconFile != null) {
            if (!Files.isRegularFile(hoconFile))
                throw new IllegalArgumentException("config file " + hoconFile + " does not exist");
            try {
                user = ConfigFactory.parseFile(
                        hoconFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (com.typesafe.config.ConfigException e) {
                throw new IllegalArgumentException(
                        "config file " + hoconFile + " does not parse: " + e.getMessage(), e);
            }
        }
        Config over = ConfigFactory.empty();
        for (String o : overrides) over = parseOverride(o).withFallback(over);
        return load(over.withFallback(user));
    }

    /** One {@code key=value} override as a config rooted above {@code mlh}. */
    static Config parseOverride(String override) {
        int eq = override.indexOf('=');
        String key = eq < 0 ? "" : override.substring(0, eq).trim();
        if (key.isEmpty()) {
            throw new IllegalArgumentException(
                    "malformed override '" + override + "': expected key=value, e.g. bits=32 or mlh.train.epochs=5");
        }
        String path = key.equals(ROOT) || key.startsWith(ROOT + ".") ? key : ROOT + "." + key;
        try {
            ConfigUtil.splitPath(path);
        } catch (com.typesafe.config.ConfigException e) {
            throw new IllegalArgumentException(
                    "malformed override '" + override + "': '" + key + "' is not a config key", e);
        }
        String value = override.substring(eq + 1).trim();
        boolean structured = value.startsWith("{") || value.startsWith("[") || value.startsWith("\"");
        // HOCON would cut "hdfs://x" or "a#b" at the comment marker without complaint
        if (structured || !(value.contains("//") || value.contains("#"))) {
            try {
                return ConfigFactory.parseString(path + " = " + value);
            } catch (com.typesafe.config.ConfigException e) {
                if (structured)
                    throw new IllegalArgumentException("malformed override '" + override + "': " + e.getMessage(), e);
            }
        }
        return ConfigFactory.empty().withValue(path, ConfigValueFactory.fromAnyRef(value));
    }

    /** A validated copy with one key changed ("mlh." prefix optional; enum constants allowed as values). */
    public MlhConfig with(String key, Object value) {
        return with(Collections.singletonMap(key, value));
    }

    /** A validated copy with several keys changed at once (for settings that must change together). */
    public MlhConfig with(Map<String, ?> changes) {
        Map<String, Object> full = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : changes.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue() instanceof ConfigChoice ? ((ConfigChoice) e.getValue()).configName() : e.getValue();
            full.put(k.equals(ROOT) || k.startsWith(ROOT + ".") ? k : ROOT + "." + k, v);
        }
        Config changed;
        try {
            changed = ConfigFactory.parseMap(full);
        } catch (com.typesafe.config.ConfigException e) {
            throw new IllegalArgumentException("cannot set " + full.keySet() + ": " + e.getMessage(), e);
        }
        return load(changed.withFallback(config));
    }

    /** The resolved config, defaults included, rooted above {@code mlh} (only the {@code mlh} tree). */
    public Config underlying() {
        return config;
    }

    /** The effective {@code mlh} tree as concise HOCON, to save with a model and reload with {@link #load(Config)}. */
    public String render() {
        return config.root()
                .render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
    }

    @Override
    public String toString() {
        return render();
    }

    /** Equal when every effective setting is (the trees compare numbers by value: 4 equals 4.0). */
    @Override
    public boolean equals(Object o) {
        return o instanceof MlhConfig && config.root().equals(((MlhConfig) o).config.root());
    }

    @Override
    public int hashCode() {
        return config.root().hashCode();
    }

    // ------------------------------------------------------------------ validation

    /** What one key's range cannot say: the checks that involve several settings. */
    private void validate() {
        int bits = bits(), experts = experts(), inputSize = inputSize(), epochs = epochs();
        Backbone backbone = backbone();
        if (get(GATE_TOP_K) > experts)
            throw error("moh.top-k", "must be at most moh.experts (" + experts + "), got " + get(GATE_TOP_K));
        if (backbone.isVggSmall() && inputSize % 4 != 0) {
            throw error(
                    "model.input-size",
                    backbone.configName() + " needs a positive multiple of 4 (two 2x2 poolings), got " + inputSize);
        }
        if (!backbone.isVggSmall() && inputSize != 224) {
            throw error("model.input-size", backbone.configName() + " needs exactly 224, got " + inputSize);
        }
        if (!pretrained().isEmpty() && backbone.isVggSmall()) {
            throw error(
                    "model.pretrained",
                    "pretrained weights are for the resnet backbones, not " + backbone.configName());
        }
        if (centreMinDistance() > bits)
            throw error("centre.min-distance", "cannot exceed bits (" + bits + "), got " + centreMinDistance());
        EncodeBranch encodeBranch = encodeBranch();
        if (encodeBranch == EncodeBranch.CENTRE && !method().usesCentreBranch()
                || encodeBranch == EncodeBranch.PAIRWISE && !method().usesPairwiseBranch()) {
            throw error(
                    "encode.branch",
                    method().configName() + " does not train the " + encodeBranch.configName() + " branch");
        }
        if (lrWarmupEpochs() >= epochs) {
            throw error(
                    "train.lr-warmup-epochs", "must be below train.epochs (" + epochs + "), got " + lrWarmupEpochs());
        }
    }

    private static String full(String key) {
        return ROOT + "." + key;
    }

    private static ConfigError error(String key, String problem) {
        return new ConfigError(full(key), problem);
    }

    // ------------------------------------------------------------------ typed getters

    public Method method() {
        return get(METHOD);
    }

    public int bits() {
        return get(BITS);
    }

    public int classes() {
        return get(CLASSES);
    }

    public long seed() {
        return get(SEED);
    }

    public Backbone backbone() {
        return get(BACKBONE);
    }

    public int inputChannels() {
        return get(INPUT_CHANNELS);
    }

    public int inputSize() {
        return get(INPUT_SIZE);
    }
    /** BigDL model file with ResNet weights; empty for random initialisation. */
    public String pretrained() {
        return get(PRETRAINED);
    }

    public MohMode mohMode() {
        return get(MOH_MODE);
    }

    public int experts() {
        return get(EXPERTS);
    }

    /** The gate weights each branch keeps an image ({@code moh.top-k}; 0: all K, a dense gate). */
    public int gateTopK() {
        int k = get(GATE_TOP_K);
        return k == 0 ? experts() : k;
    }

    /** The weight of each gate's load-balance term ({@code moh.balance-weight}; 0: none). */
    public double gateBalanceWeight() {
        return get(BALANCE_WEIGHT);
    }

    /** The weight of the experts' diversity term ({@code moh.diversity-weight}; 0: none). */
    public double expertDiversityWeight() {
        return get(DIVERSITY_WEIGHT);
    }
    /** lambda1 */
    public double centreWeight() {
        return get(CENTRE_WEIGHT);
    }
    /** lambda2 */
    public double pairwiseWeight() {
        return get(PAIRWISE_WEIGHT);
    }
    /** 0 = off; else the code length at which {@link #pairwiseWeight()} applies as given. */
    public int pairwiseReferenceBits() {
        return get(PAIRWISE_REFERENCE_BITS);
    }

    /**
     * The weight L_P trains with: lambda2, times reference-bits / q when a reference is set. L_P's
     * gradient on a code grows with q (theta = 0.5 u_i . u_j sums q products) while L_C's does not,
     * so a fixed lambda2 tips the shared backbone toward the pairwise branch at long codes.
     */
    public double effectivePairwiseWeight() {
        int reference = pairwiseReferenceBits();
        return reference == 0 ? pairwiseWeight() : pairwiseWeight() * reference / bits();
    }
    /** lambda3 */
    public double mutualWeight() {
        return get(MUTUAL_WEIGHT);
    }
    /** beta */
    public double centreQuantization() {
        return get(CENTRE_QUANTIZATION);
    }
    /** alpha */
    public double pairwiseQuantization() {
        return get(PAIRWISE_QUANTIZATION);
    }

    public CentreLoss centreLoss() {
        return get(CENTRE_LOSS);
    }
    /** 0 means the Gilbert–Varshamov value. */
    public int centreMinDistance() {
        return get(CENTRE_MIN_DISTANCE);
    }
    /** The softmax L_C's logit scale s as configured (0 = sqrt(bits)). */
    public double centreScale() {
        return get(CENTRE_SCALE);
    }
    /** The softmax L_C's logit scale s: {@code centre.scale}, or sqrt(bits) when that is 0. */
    public double effectiveCentreScale() {
        return centreScale() > 0 ? centreScale() : Math.sqrt(bits());
    }

    public MutualMode mutualMode() {
        return get(MUTUAL_MODE);
    }

    public int mutualStartEpoch() {
        return get(MUTUAL_START_EPOCH);
    }

    public EncodeBranch encodeBranch() {
        return get(ENCODE_BRANCH);
    }

    public int batchSize() {
        return get(BATCH_SIZE);
    }

    public int epochs() {
        return get(EPOCHS);
    }

    public OptimizerKind optimizer() {
        return get(OPTIMIZER);
    }

    public double learningRate() {
        return get(LEARNING_RATE);
    }

    public double backboneLrMultiplier() {
        return get(BACKBONE_LR_MULTIPLIER);
    }

    public double weightDecay() {
        return get(WEIGHT_DECAY);
    }

    public double momentum() {
        return get(MOMENTUM);
    }

    public LrPolicy lrPolicy() {
        return get(LR_SCHEDULE);
    }

    public int lrStepEpochs() {
        return get(LR_STEP_EPOCHS);
    }

    public double lrGamma() {
        return get(LR_GAMMA);
    }

    public int lrWarmupEpochs() {
        return get(LR_WARMUP_EPOCHS);
    }

    public Engine engine() {
        return get(ENGINE);
    }

    // ------------------------------------------------------------------ what the method means

    /** mlh, dual, csq and mds train the centre branch; dpsh does not. */
    public boolean usesCentreBranch() {
        return method().usesCentreBranch();
    }

    /** mlh, dual and dpsh train the pairwise branch; csq and mds do not. */
    public boolean usesPairwiseBranch() {
        return method().usesPairwiseBranch();
    }

    /** mlh and dual couple the branches with L_M. */
    public boolean usesMutual() {
        return method().usesMutual();
    }

    /** csq trains with CSQ's loss, mds with the softmax L_C; the others use {@code centre.loss}. */
    public CentreLoss effectiveCentreLoss() {
        switch (method()) {
            case CSQ:
                return CentreLoss.CSQ;
            case MDS:
                return CentreLoss.MLH;
            default:
                return centreLoss();
        }
    }

    /**
     * Only mlh mixes experts (dual is MLH without MoH, and the baselines use plain hash layers as
     * their papers do), so every method but mlh runs with {@link MohMode#NONE}.
     */
    public MohMode effectiveMohMode() {
        return method() == Method.MLH ? mohMode() : MohMode.NONE;
    }

    /** Which branch's signs are the retrieval codes: auto is the pairwise branch for dpsh, else the centre branch. */
    public EncodeBranch effectiveEncodeBranch() {
        if (encodeBranch() != EncodeBranch.AUTO) return encodeBranch();
        return method() == Method.DPSH ? EncodeBranch.PAIRWISE : EncodeBranch.CENTRE;
    }
}
