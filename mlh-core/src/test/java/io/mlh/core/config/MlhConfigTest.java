package io.mlh.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mlh.core.config.MlhConfig.Backbone;
import io.mlh.core.config.MlhConfig.CentreLoss;
import io.mlh.core.config.MlhConfig.EncodeBranch;
import io.mlh.core.config.MlhConfig.LrPolicy;
import io.mlh.core.config.MlhConfig.Method;
import io.mlh.core.config.MlhConfig.MohMode;
import io.mlh.core.config.MlhConfig.MutualMode;
import io.mlh.core.config.MlhConfig.OptimizerKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MlhConfigTest {

    // ------------------------------------------------------------------ defaults

    @Test
    void defaultsLoadFromTheReference() {
        MlhConfig c = MlhConfig.defaults();
        assertEquals(Method.MLH, c.method());
        assertEquals(64, c.bits());
        assertEquals(10, c.classes());
        assertEquals(42L, c.seed());
        assertEquals(Backbone.VGG_SMALL, c.backbone());
        assertEquals(3, c.inputChannels());
        assertEquals(32, c.inputSize());
        assertEquals("", c.pretrained());
        assertEquals(MohMode.SHARED, c.mohMode());
        assertEquals(4, c.experts());
        assertEquals(4, c.gateTopK(), "a dense gate by default");
        assertEquals(4.0, c.centreWeight());
        assertEquals(1.0, c.pairwiseWeight());
        assertEquals(16, c.pairwiseReferenceBits());
        assertEquals(0.25, c.effectivePairwiseWeight()); // 1 x 16 / 64 bits
        assertEquals(1.0, c.mutualWeight());
        assertEquals(1e-4, c.centreQuantization());
        assertEquals(0.1, c.pairwiseQuantization());
        assertEquals(CentreLoss.CSQ, c.centreLoss());
        assertEquals(0, c.centreMinDistance());
        assertEquals(0.0, c.centreScale());
        assertEquals(8.0, c.effectiveCentreScale()); // sqrt(64)
        assertEquals(4.0, c.with("centre.scale", 4).effectiveCentreScale());
        assertEquals(MutualMode.JOINT, c.mutualMode());
        assertEquals(0, c.mutualStartEpoch());
        assertEquals(EncodeBranch.AUTO, c.encodeBranch());
        assertEquals(64, c.batchSize());
        assertEquals(10, c.epochs());
        assertEquals(OptimizerKind.ADAM, c.optimizer());
        assertEquals(1e-3, c.learningRate());
        assertEquals(1.0, c.backboneLrMultiplier());
        assertEquals(0.0, c.weightDecay());
        assertEquals(0.9, c.momentum());
        assertEquals(MlhConfig.Engine.MKLBLAS, c.engine());
        assertEquals(MlhConfig.Engine.MKLDNN, c.with("train.engine", "mkldnn").engine());
        assertEquals(c, MlhConfig.load(ConfigFactory.empty()));
    }

    @Test
    void theReferenceHoldsExactlyTheDocumentedKeys() {
        Set<String> keys = new TreeSet<>();
        ConfigFactory.defaultReference().getConfig("mlh").entrySet().forEach(e -> keys.add(e.getKey()));
        assertEquals(
                new TreeSet<>(Arrays.asList(
                        "method",
                        "bits",
                        "classes",
                        "seed",
                        "model.backbone",
                        "model.input-channels",
                        "model.input-size",
                        "model.pretrained",
                        "moh.mode",
                        "moh.experts",
                        "moh.top-k",
                        "moh.balance-weight",
                        "moh.diversity-weight",
                        "loss.centre-weight",
                        "loss.pairwise-weight",
                        "loss.pairwise-reference-bits",
                        "loss.mutual-weight",
                        "loss.centre-quantization",
                        "loss.pairwise-quantization",
                        "centre.loss",
                        "centre.min-distance",
                        "centre.scale",
                        "mutual.mode",
                        "mutual.start-epoch",
                        "encode.branch",
                        "train.batch-size",
                        "train.epochs",
                        "train.optimizer",
                        "train.learning-rate",
                        "train.backbone-lr-multiplier",
                        "train.weight-decay",
                        "train.momentum",
                        "train.lr-schedule",
                        "train.lr-step-epochs",
                        "train.lr-gamma",
                        "train.lr-warmup-epochs",
                        "train.engine")),
                keys);
    }

    @Test
    void keysOutsideMlhAreIgnored() {
        MlhConfig c = MlhConfig.load(ConfigFactory.parseString("spark.master = \"local[2]\"\nmlh.bits = 32"));
        assertEquals(32, c.bits());
        assertFalse(c.underlying().hasPath("spark"));
    }

    // ------------------------------------------------------------------ validation

    static Stream<Arguments> invalid() {
        return Stream.of(
                // unknown keys, with a suggestion where one is near
                bad("mlh.bitz = 32", "mlh.bitz", "did you mean 'mlh.bits'"),
                bad("mlh.pretrained = x", "mlh.pretrained", "did you mean 'mlh.model.pretrained'"),
                bad("mlh.train.lr = 0.1", "mlh.train.lr", "unknown key"),
                bad("mlh.optimiser { kind = adam }", "mlh.optimiser.kind", "unknown key"),
                // wrong types
                bad("mlh.bits = sixty-four", "mlh.bits", "must be an integer"),
                bad("mlh.bits = 64.5", "mlh.bits", "must be an integer"),
                bad("mlh.seed = [1, 2]", "mlh.seed", "must be an integer"),
                bad("mlh.loss.centre-weight = heavy", "mlh.loss.centre-weight", "must be a number"),
                bad("mlh.model.pretrained = [a, b]", "mlh.model.pretrained", "must be a string"),
                bad("mlh.model = 5", "mlh.model", "must be an object"),
                bad("mlh.bits { q = 64 }", "mlh.bits", "single value"),
                bad("mlh = 5", "mlh", "must be an object"),
                // ranges
                bad("mlh.bits = 12", "mlh.bits", "multiple of 8"),
                bad("mlh.bits = 0", "mlh.bits", "8..1024"),
                bad("mlh.bits = 1032", "mlh.bits", "8..1024"),
                bad("mlh.classes = 1", "mlh.classes", ">= 2"),
                bad("mlh.loss.centre-weight = -1", "mlh.loss.centre-weight", ">= 0"),
                bad("mlh.loss.pairwise-weight = -0.5", "mlh.loss.pairwise-weight", ">= 0"),
                bad("mlh.loss.pairwise-reference-bits = -16", "mlh.loss.pairwise-reference-bits", ">= 0"),
                bad("mlh.loss.mutual-weight = -1", "mlh.loss.mutual-weight", ">= 0"),
                bad("mlh.loss.centre-quantization = -1e-4", "mlh.loss.centre-quantization", ">= 0"),
                bad("mlh.loss.pairwise-quantization = -0.1", "mlh.loss.pairwise-quantization", ">= 0"),
                bad("mlh.moh.experts = 0", "mlh.moh.experts", ">= 1"),
                bad("mlh.moh.top-k = 5", "mlh.moh.top-k", "at most moh.experts (4)"),
                bad("mlh.moh.top-k = -1", "mlh.moh.top-k", ">= 0"),
                bad("mlh.moh.balance-weight = -1", "mlh.moh.balance-weight", ">= 0"),
                bad("mlh.moh.diversity-weight = -0.1", "mlh.moh.diversity-weight", ">= 0"),
                bad("mlh.train.batch-size = 1", "mlh.train.batch-size", ">= 2"),
                bad("mlh.train.epochs = 0", "mlh.train.epochs", ">= 1"),
                bad("mlh.train.learning-rate = 0", "mlh.train.learning-rate", "> 0"),
                bad("mlh.train.learning-rate = -1e-3", "mlh.train.learning-rate", "> 0"),
                bad("mlh.train.weight-decay = -1", "mlh.train.weight-decay", ">= 0"),
                bad("mlh.train.backbone-lr-multiplier = -0.1", "mlh.train.backbone-lr-multiplier", ">= 0"),
                bad("mlh.train.momentum = 1.5", "mlh.train.momentum", "[0, 1)"),
                bad("mlh.mutual.start-epoch = -1", "mlh.mutual.start-epoch", ">= 0"),
                bad("mlh.centre.min-distance = -2", "mlh.centre.min-distance", ">= 0"),
                bad("mlh.centre.scale = -4", "mlh.centre.scale", ">= 0"),
                bad("mlh.centre.min-distance = 65", "mlh.centre.min-distance", "cannot exceed bits"),
                bad("mlh.model.input-channels = 5", "mlh.model.input-channels", "1..4"),
                bad("mlh.model.input-size = 30", "mlh.model.input-size", "multiple of 4"),
                bad("mlh.model { backbone = resnet-50, input-size = 32 }", "mlh.model.input-size", "224"),
                bad("mlh.model { backbone = resnet-18, input-size = 112 }", "mlh.model.input-size", "224"),
                bad("mlh.model.pretrained = r50.bigdl", "mlh.model.pretrained", "resnet"),
                bad("mlh { method = dpsh, encode.branch = centre }", "mlh.encode.branch", "dpsh"),
                bad("mlh { method = csq, encode.branch = pairwise }", "mlh.encode.branch", "csq"),
                // enums
                bad("mlh.method = hashnet", "mlh.method", "mlh, csq, mds, dpsh, dual"),
                bad(
                        "mlh.model.backbone = vgg16",
                        "mlh.model.backbone",
                        "vgg-small, vgg-small-bn, resnet-18, resnet-34, resnet-50, resnet-101"),
                bad("mlh.moh.mode = all", "mlh.moh.mode", "shared, separate, none"),
                bad("mlh.centre.loss = bce", "mlh.centre.loss", "mlh, csq"),
                bad("mlh.mutual.mode = both", "mlh.mutual.mode", "joint, alternate"),
                bad("mlh.encode.branch = gate", "mlh.encode.branch", "auto, centre, pairwise"),
                bad("mlh.train.optimizer = adamw", "mlh.train.optimizer", "adam, rmsprop, sgd"),
                bad("mlh.train.lr-schedule = linear", "mlh.train.lr-schedule", "constant, step, cosine"),
                bad("mlh.train.lr-step-epochs = 0", "mlh.train.lr-step-epochs", ">= 1"),
                bad("mlh.train.lr-gamma = 1.5", "mlh.train.lr-gamma", "(0, 1]"),
                bad("mlh.train.lr-gamma = 0", "mlh.train.lr-gamma", "(0, 1]"),
                bad("mlh.train.lr-warmup-epochs = -1", "mlh.train.lr-warmup-epochs", ">= 0"),
                bad(
                        "mlh.train { epochs = 3, lr-warmup-epochs = 3 }",
                        "mlh.train.lr-warmup-epochs",
                        "below train.epochs"),
                bad("mlh.train.engine = cuda", "mlh.train.engine", "mklblas, mkldnn"));
    }

    private static Arguments bad(String hocon, String key, String fragment) {
        return Arguments.of(hocon, key, fragment);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidSettingsFailNamingTheKey(String hocon, String key, String fragment) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MlhConfig.load(ConfigFactory.parseString(hocon)));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void validEdgesLoad() {
        MlhConfig c = MlhConfig.load(ConfigFactory.parseString(
                "mlh { bits = 8, classes = 2, train { batch-size = 2, momentum = 0 }, loss.mutual-weight = 0,"
                        + " model { backbone = resnet-18, input-size = 224, input-channels = 1 } }"));
        assertEquals(8, c.bits());
        assertEquals(Backbone.RESNET_18, c.backbone());
        assertEquals(1024, MlhConfig.defaults().with("bits", 1024).bits());
        assertEquals(4, MlhConfig.defaults().with("model.input-size", 4).inputSize());
        // numbers written as strings are fine, as HOCON allows
        assertEquals(
                32,
                MlhConfig.load(ConfigFactory.parseString("mlh.bits = \"32\"")).bits());
    }

    // ------------------------------------------------------------------ file and overrides

    @Test
    void overridesWorkWithAndWithoutThePrefix() {
        MlhConfig c = MlhConfig.load(
                null,
                Arrays.asList(
                        "bits=32",
                        "mlh.classes = 80",
                        "model.backbone=resnet-50",
                        "mlh.model.input-size=224",
                        "train.learning-rate=5e-4",
                        "method=dual"));
        assertEquals(32, c.bits());
        assertEquals(80, c.classes());
        assertEquals(Backbone.RESNET_50, c.backbone());
        assertEquals(224, c.inputSize());
        assertEquals(5e-4, c.learningRate());
        assertEquals(Method.DUAL, c.method());
    }

    @Test
    void laterOverridesWin() {
        assertEquals(
                16,
                MlhConfig.load(null, Arrays.asList("bits=32", "mlh.bits=16")).bits());
    }

    @Test
    void overrideValuesWithCommentMarkersAreLiteralStrings() {
        String url = "hdfs://namenode:8020/models/resnet-50#v2.bigdl";
        MlhConfig c = MlhConfig.load(
                null, Arrays.asList("model.backbone=resnet-50", "model.input-size=224", "model.pretrained=" + url));
        assertEquals(url, c.pretrained());
        assertEquals(
                "/data/r 50.bigdl",
                MlhConfig.load(
                                null,
                                Arrays.asList(
                                        "model.backbone=resnet-18",
                                        "model.input-size=224",
                                        "model.pretrained=\"/data/r 50.bigdl\""))
                        .pretrained());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bits", "=32", " = 32", "mlh.bits={", "bits=[1,", "a..b=3"})
    void malformedOverridesFailNamingThem(String override) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> MlhConfig.load(null, Collections.singletonList(override)));
        assertTrue(e.getMessage().contains("malformed override '" + override + "'"), e.getMessage());
    }

    @Test
    void anOverrideOfAnUnknownKeyFailsNamingIt() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> MlhConfig.load(null, Collections.singletonList("train.epoch=3")));
        assertTrue(
                e.getMessage().contains("'mlh.train.epoch'") && e.getMessage().contains("mlh.train.epochs"),
                e.getMessage());
    }

    @Test
    void overridesBeatTheFileWhichBeatsTheDefaults(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("run.conf");
        Files.write(
                file,
                Arrays.asList(
                        "# a profile",
                        "mlh {",
                        "  bits = 32",
                        "  classes = 80",
                        "  train { epochs = 3, optimizer = sgd }",
                        "}"));
        MlhConfig c = MlhConfig.load(file, Arrays.asList("train.epochs=7", "mlh.seed=1"));
        assertEquals(32, c.bits()); // file
        assertEquals(80, c.classes()); // file
        assertEquals(OptimizerKind.SGD, c.optimizer()); // file
        assertEquals(7, c.epochs()); // override over file
        assertEquals(1L, c.seed()); // override over default
        assertEquals(64, c.batchSize()); // default
        assertEquals(3, MlhConfig.load(file, Collections.emptyList()).epochs());
    }

    @Test
    void aMissingOrBrokenFileIsReported(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.conf");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MlhConfig.load(missing, Collections.emptyList()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path broken = dir.resolve("broken.conf");
        Files.write(broken, Collections.singletonList("mlh { bits = "));
        e = assertThrows(IllegalArgumentException.class, () -> MlhConfig.load(broken, Collections.emptyList()));
        assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
        Path typo = dir.resolve("typo.conf");
        Files.write(typo, Collections.singletonList("mlh.moh.expert = 2"));
        e = assertThrows(IllegalArgumentException.class, () -> MlhConfig.load(typo, Collections.emptyList()));
        assertTrue(
                e.getMessage().contains("'mlh.moh.expert'") && e.getMessage().contains("mlh.moh.experts"),
                e.getMessage());
    }

    // ------------------------------------------------------------------ copies

    @Test
    void withMakesAValidatedCopy() {
        MlhConfig base = MlhConfig.defaults();
        MlhConfig changed = base.with("bits", 32)
                .with("mlh.train.optimizer", OptimizerKind.RMSPROP)
                .with("method", "csq");
        assertEquals(32, changed.bits());
        assertEquals(OptimizerKind.RMSPROP, changed.optimizer());
        assertEquals(Method.CSQ, changed.method());
        assertEquals(64, base.bits());
        assertNotEquals(base, changed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base.with("bits", 33));
        assertTrue(e.getMessage().contains("'mlh.bits'"), e.getMessage());
        Map<String, Object> resnet = new HashMap<>();
        resnet.put("model.backbone", Backbone.RESNET_50);
        resnet.put("model.input-size", 224);
        assertEquals(Backbone.RESNET_50, base.with(resnet).backbone()); // together, they validate
        assertThrows(IllegalArgumentException.class, () -> base.with("model.backbone", "resnet-50"));
    }

    @Test
    void renderRoundTripsThroughLoad() {
        MlhConfig c = MlhConfig.defaults()
                .with("bits", 48)
                .with("classes", 100)
                .with("method", "dpsh")
                .with("loss.centre-quantization", 2.5e-5)
                .with("seed", -7L)
                .with("encode.branch", "pairwise");
        String rendered = c.render();
        assertTrue(rendered.contains("mlh"), rendered);
        MlhConfig back = MlhConfig.load(ConfigFactory.parseString(rendered));
        assertEquals(c, back);
        assertEquals(c.hashCode(), back.hashCode());
        assertEquals(2.5e-5, back.centreQuantization());
        assertEquals(
                MlhConfig.defaults(),
                MlhConfig.load(ConfigFactory.parseString(MlhConfig.defaults().render())));
    }

    @Test
    void underlyingHoldsTheEffectiveMlhTree() {
        Config u = MlhConfig.defaults().with("bits", 16).underlying();
        assertEquals(16, u.getInt("mlh.bits"));
        assertEquals("vgg-small", u.getString("mlh.model.backbone"));
    }

    @Test
    void aConfigSurvivesJavaSerialization() throws Exception {
        MlhConfig c = MlhConfig.defaults().with("bits", 32).with("method", "mds");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            MlhConfig back = (MlhConfig) in.readObject();
            assertEquals(c, back);
            assertEquals(c.render(), back.render());
        }
    }

    // ------------------------------------------------------------------ enums

    @Test
    void enumsParseTheirConfigSpellingAndGiveItBack() {
        assertEquals("vgg-small", Backbone.VGG_SMALL.configName());
        assertEquals("resnet-18", Backbone.RESNET_18.configName());
        assertEquals("rmsprop", OptimizerKind.RMSPROP.configName());
        assertEquals(Backbone.RESNET_50, ConfigReader.choice(Backbone.class, "k", "resnet-50"));
        assertEquals(Backbone.RESNET_50, ConfigReader.choice(Backbone.class, "k", " ResNet-50 "));
        roundTrip(Method.class);
        roundTrip(Backbone.class);
        roundTrip(MohMode.class);
        roundTrip(CentreLoss.class);
        roundTrip(MutualMode.class);
        roundTrip(EncodeBranch.class);
        roundTrip(LrPolicy.class);
        roundTrip(OptimizerKind.class);
        roundTrip(MlhConfig.Engine.class);
    }

    private static <E extends Enum<E> & ConfigChoice> void roundTrip(Class<E> type) {
        for (E e : type.getEnumConstants()) assertEquals(e, ConfigReader.choice(type, "mlh.x", e.configName()));
    }

    @Test
    void anUnknownEnumValueNamesKeyValueAndChoices() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ConfigReader.choice(Backbone.class, "mlh.model.backbone", "vgg_small"));
        assertTrue(e.getMessage().contains("'mlh.model.backbone'"), e.getMessage());
        assertTrue(e.getMessage().contains("'vgg_small'"), e.getMessage());
        assertTrue(
                e.getMessage().contains("vgg-small, vgg-small-bn, resnet-18, resnet-34, resnet-50, resnet-101"),
                e.getMessage());
    }

    // ------------------------------------------------------------------ what each method means

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // method, centre branch, pairwise branch, mutual, loss if centre.loss=mlh, loss if centre.loss=csq, MoH, encode
        "mlh,  true,  true,  true,  MLH, CSQ, SHARED, CENTRE",
        "csq,  true,  false, false, CSQ, CSQ, NONE,   CENTRE",
        "mds,  true,  false, false, MLH, MLH, NONE,   CENTRE",
        "dpsh, false, true,  false, MLH, CSQ, NONE,   PAIRWISE",
        "dual, true,  true,  true,  MLH, CSQ, NONE,   CENTRE"
    })
    void effectiveSemanticsOfEachMethod(
            String name,
            boolean centre,
            boolean pairwise,
            boolean mutual,
            CentreLoss withMlhLoss,
            CentreLoss withCsqLoss,
            MohMode moh,
            EncodeBranch encode) {
        MlhConfig c = MlhConfig.defaults().with("method", name);
        Method m = ConfigReader.choice(Method.class, "mlh.method", name);
        assertEquals(m, c.method());
        assertEquals(centre, c.usesCentreBranch());
        assertEquals(centre, m.usesCentreBranch());
        assertEquals(pairwise, c.usesPairwiseBranch());
        assertEquals(pairwise, m.usesPairwiseBranch());
        assertEquals(mutual, c.usesMutual());
        assertEquals(mutual, m.usesMutual());
        assertEquals(withMlhLoss, c.with("centre.loss", "mlh").effectiveCentreLoss());
        assertEquals(withCsqLoss, c.with("centre.loss", "csq").effectiveCentreLoss());
        assertEquals(withCsqLoss, c.effectiveCentreLoss()); // csq is the default centre.loss
        assertEquals(moh, c.effectiveMohMode());
        assertEquals(
                moh == MohMode.NONE ? MohMode.NONE : MohMode.SEPARATE,
                c.with("moh.mode", "separate").effectiveMohMode());
        assertEquals(encode, c.effectiveEncodeBranch());
    }

    @Test
    void anExplicitEncodeBranchOverridesAuto() {
        assertEquals(
                EncodeBranch.PAIRWISE,
                MlhConfig.defaults().with("encode.branch", "pairwise").effectiveEncodeBranch());
        assertEquals(
                EncodeBranch.CENTRE,
                MlhConfig.defaults()
                        .with("method", "dual")
                        .with("encode.branch", "centre")
                        .effectiveEncodeBranch());
        List<String> both = Arrays.asList("mlh", "dual");
        for (String m : both) {
            assertEquals(
                    EncodeBranch.PAIRWISE,
                    MlhConfig.defaults()
                            .with("method", m)
                            .with("encode.branch", "pairwise")
                            .effectiveEncodeBranch());
        }
    }
}
