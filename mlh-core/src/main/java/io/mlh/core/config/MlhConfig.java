package io.mlh.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The typed, validated view of the {@code mlh} config tree. Defaults live in {@code reference.conf};
 * a config is checked once on load (unknown keys, types, ranges) and fails naming the key.
 *
 * <p>Methods are configurations of one model and one loop: {@link Method} says which branches and
 * losses train, see {@link #usesCentreBranch()} and the other derived settings below.
 */
public final class MlhConfig implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String ROOT = "mlh";

    /** The training recipes: MLH and its baselines, all run by the same model and loop. */
    public enum Method {
        /** both branches, MoH, mutual loss */ MLH,
        /** centre branch alone, CSQ's BCE-to-centre loss, plain hash layer */ CSQ,
        /** centre branch alone, the softmax-over-centres L_C, plain hash layer */ MDS,
        /** pairwise branch alone, L_P, plain hash layer */ DPSH,
        /** both branches and the mutual loss, MoH off (dual hash layers) */ DUAL;
    }

    public enum Backbone { VGG_SMALL, RESNET_18, RESNET_50 }

    public enum MohMode { SHARED, SEPARATE, NONE }

    public enum CentreLoss { MLH, CSQ }

    public enum MutualMode { JOINT, ALTERNATE }

    public enum EncodeBranch { AUTO, CENTRE, PAIRWISE }

    public enum OptimizerKind { ADAM, RMSPROP, SGD }

    private final Config config; // the resolved "mlh" tree, defaults included
    private final Method method;
    private final Backbone backbone;
    private final MohMode mohMode;
    private final CentreLoss centreLoss;
    private final MutualMode mutualMode;
    private final EncodeBranch encodeBranch;
    private final OptimizerKind optimizer;

    private MlhConfig(Config root) {
        Config c = root.getConfig(ROOT);
        this.config = c;
        rejectUnknownKeys(c);
        this.method = parse(Method.class, c, "method");
        this.backbone = parse(Backbone.class, c, "model.backbone");
        this.mohMode = parse(MohMode.class, c, "moh.mode");
        this.centreLoss = parse(CentreLoss.class, c, "centre.loss");
        this.mutualMode = parse(MutualMode.class, c, "mutual.mode");
        this.encodeBranch = parse(EncodeBranch.class, c, "encode.branch");
        this.optimizer = parse(OptimizerKind.class, c, "train.optimizer");
        validate();
    }

    // ------------------------------------------------------------------ loading

    public static MlhConfig defaults() {
        return load(ConfigFactory.empty());
    }

    /** {@code user} over the reference defaults. */
    public static MlhConfig load(Config user) {
        return new MlhConfig(user.withFallback(ConfigFactory.defaultReference()).resolve());
    }

    /** A HOCON file (may be null) with {@code key=value} overrides on top; keys may omit the "mlh." prefix. */
    public static MlhConfig load(Path hoconFile, List<String> overrides) {
        Config user = ConfigFactory.empty();
        if (hoconFile != null) {
            if (!Files.isRegularFile(hoconFile)) throw new IllegalArgumentException("config file " + hoconFile + " does not exist");
            user = ConfigFactory.parseFile(hoconFile.toFile());
        }
        for (int i = overrides.size() - 1; i >= 0; i--) user = parseOverride(overrides.get(i)).withFallback(user);
        return load(user);
    }

    private static Config parseOverride(String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("override '" + kv + "' is not key=value");
        String key = kv.substring(0, eq).trim();
        if (!key.startsWith(ROOT + ".")) key = ROOT + "." + key;
        try {
            return ConfigFactory.parseString(key + " = " + kv.substring(eq + 1).trim());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("override '" + kv + "' does not parse: " + e.getMessage(), e);
        }
    }

    /** A validated copy with one key changed ("mlh." prefix optional). */
    public MlhConfig with(String key, Object value) {
        return with(java.util.Collections.singletonMap(key, value));
    }

    /** A validated copy with several keys changed at once (for settings that must change together). */
    public MlhConfig with(Map<String, ?> changes) {
        Map<String, Object> full = new java.util.LinkedHashMap<>();
        changes.forEach((k, v) -> full.put(k.startsWith(ROOT + ".") ? k : ROOT + "." + k, v));
        return load(ConfigFactory.parseMap(full).withFallback(underlying()));
    }

    /** The full resolved config, rooted above {@code mlh}. */
    public Config underlying() {
        return config.atKey(ROOT);
    }

    /** The effective {@code mlh} tree as HOCON, to save with a model and reload with {@link #load(Config)}. */
    public String render() {
        return underlying().root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(false));
    }

    @Override
    public String toString() {
        return render();
    }

    // ------------------------------------------------------------------ validation

    private static final Set<String> KNOWN = knownKeys();

    private static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : ConfigFactory.defaultReference().getConfig(ROOT).entrySet()) keys.add(e.getKey());
        return keys;
    }

    private static void rejectUnknownKeys(Config c) {
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            if (!KNOWN.contains(e.getKey())) {
                String near = nearest(e.getKey());
                throw new ConfigError(ROOT + "." + e.getKey(), "unknown key" + (near == null ? "" : "; did you mean '" + ROOT + "." + near + "'?"));
            }
        }
    }

    private static String nearest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : KNOWN) {
            int d = editDistance(key, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private void validate() {
        int bits = integer("bits");
        if (bits < 8 || bits > 1024 || bits % 8 != 0) throw error("bits", "must be a multiple of 8 in 8..1024, got " + bits);
        atLeast("classes", 2);
        number("seed");
        int channels = integer("model.input-channels");
        if (channels < 1 || channels > 4) throw error("model.input-channels", "must be in 1..4, got " + channels);
        int size = integer("model.input-size");
        if (backbone == Backbone.VGG_SMALL && (size < 4 || size % 4 != 0)) {
            throw error("model.input-size", "vgg-small needs a positive multiple of 4, got " + size);
        }
        if (backbone != Backbone.VGG_SMALL && size != 224) {
            throw error("model.input-size", backbone.name().toLowerCase(Locale.ROOT).replace('_', '-') + " needs 224, got " + size);
        }
        if (!string("model.pretrained").isEmpty() && backbone == Backbone.VGG_SMALL) {
            throw error("model.pretrained", "pretrained weights are for the resnet backbones, not vgg-small");
        }
        atLeast("moh.experts", 1);
        for (String k : new String[] {"loss.centre-weight", "loss.pairwise-weight", "loss.mutual-weight",
                "loss.centre-quantization", "loss.pairwise-quantization", "train.weight-decay", "train.momentum"}) {
            if (!(number(k) >= 0)) throw error(k, "must be >= 0, got " + number(k));
        }
        atLeast("centre.min-distance", 0);
        if (integer("centre.min-distance") > bits) throw error("centre.min-distance", "cannot exceed bits (" + bits + ")");
        atLeast("mutual.start-epoch", 0);
        atLeast("train.batch-size", 2);
        atLeast("train.epochs", 1);
        if (!(number("train.learning-rate") > 0)) throw error("train.learning-rate", "must be > 0, got " + number("train.learning-rate"));
        if (!(number("train.backbone-lr-multiplier") >= 0)) throw error("train.backbone-lr-multiplier", "must be >= 0");
    }

    private void atLeast(String key, int min) {
        int v = integer(key);
        if (v < min) throw error(key, "must be >= " + min + ", got " + v);
    }

    private int integer(String key) {
        try {
            return config.getInt(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "must be an integer, got " + config.getValue(key).render());
        }
    }

    private double number(String key) {
        try {
            return config.getDouble(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "must be a number, got " + config.getValue(key).render());
        }
    }

    private String string(String key) {
        try {
            return config.getString(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "must be a string, got " + config.getValue(key).render());
        }
    }

    private static ConfigError error(String key, String problem) {
        return new ConfigError(ROOT + "." + key, problem);
    }

    /** Enum values are spelled in lower case with hyphens: "vgg-small", "resnet-18". */
    private static <E extends Enum<E>> E parse(Class<E> type, Config c, String key) {
        String raw;
        try {
            raw = c.getString(key);
        } catch (ConfigException.WrongType e) {
            throw error(key, "must be a string, got " + c.getValue(key).render());
        }
        for (E e : type.getEnumConstants()) if (configName(e).equals(raw)) return e;
        String[] allowed = Arrays.stream(type.getEnumConstants()).map(MlhConfig::configName).toArray(String[]::new);
        throw error(key, "unknown value '" + raw + "', expected one of " + String.join(", ", allowed));
    }

    /** The config spelling of an enum value. */
    public static String configName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    // ------------------------------------------------------------------ typed getters

    public Method method() { return method; }
    public int bits() { return config.getInt("bits"); }
    public int classes() { return config.getInt("classes"); }
    public long seed() { return config.getLong("seed"); }
    public Backbone backbone() { return backbone; }
    public int inputChannels() { return config.getInt("model.input-channels"); }
    public int inputSize() { return config.getInt("model.input-size"); }
    public String pretrained() { return config.getString("model.pretrained"); }
    public MohMode mohMode() { return mohMode; }
    public int experts() { return config.getInt("moh.experts"); }
    public double centreWeight() { return config.getDouble("loss.centre-weight"); }
    public double pairwiseWeight() { return config.getDouble("loss.pairwise-weight"); }
    public double mutualWeight() { return config.getDouble("loss.mutual-weight"); }
    public double centreQuantization() { return config.getDouble("loss.centre-quantization"); }
    public double pairwiseQuantization() { return config.getDouble("loss.pairwise-quantization"); }
    public CentreLoss centreLoss() { return centreLoss; }
    public int centreMinDistance() { return config.getInt("centre.min-distance"); }
    public MutualMode mutualMode() { return mutualMode; }
    public int mutualStartEpoch() { return config.getInt("mutual.start-epoch"); }
    public EncodeBranch encodeBranch() { return encodeBranch; }
    public int batchSize() { return config.getInt("train.batch-size"); }
    public int epochs() { return config.getInt("train.epochs"); }
    public OptimizerKind optimizer() { return optimizer; }
    public double learningRate() { return config.getDouble("train.learning-rate"); }
    public double backboneLrMultiplier() { return config.getDouble("train.backbone-lr-multiplier"); }
    public double weightDecay() { return config.getDouble("train.weight-decay"); }
    public double momentum() { return config.getDouble("train.momentum"); }

    // ------------------------------------------------------------------ what the method means

    public boolean usesCentreBranch() {
        return method != Method.DPSH;
    }

    public boolean usesPairwiseBranch() {
        return method == Method.MLH || method == Method.DUAL || method == Method.DPSH;
    }

    public boolean usesMutual() {
        return method == Method.MLH || method == Method.DUAL;
    }

    /** csq trains with CSQ's loss, mds with L_C; mlh and dual use {@code centre.loss}. */
    public CentreLoss effectiveCentreLoss() {
        switch (method) {
            case CSQ: return CentreLoss.CSQ;
            case MDS: return CentreLoss.MLH;
            default: return centreLoss;
        }
    }

    /** Only mlh mixes experts; the baselines use plain hash layers, as their papers do. */
    public MohMode effectiveMohMode() {
        return method == Method.MLH ? mohMode : MohMode.NONE;
    }

    /** Which branch's signs are the retrieval codes. */
    public EncodeBranch effectiveEncodeBranch() {
        if (encodeBranch != EncodeBranch.AUTO) return encodeBranch;
        return method == Method.DPSH ? EncodeBranch.PAIRWISE : EncodeBranch.CENTRE;
    }
}
