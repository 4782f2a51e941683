package io.mlh.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.codes.HashEncoder;
import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.LabelledImages;
import io.mlh.jobs.calibrate.CalibrateJob;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.tables.CodeTable;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * Train and encode on local Spark over a small shard table of real Fashion-MNIST images: synchronous
 * training with checkpoints and resume, the model bundle and its checksum, and codes that equal the
 * trained model's signs.
 */
class TrainEncodeTest {
    private static final int N = 600;
    private static SparkSession spark;
    private static LabelledImages images;

    @BeforeAll
    static void start() throws IOException {
        images = FashionMnist.testSet().select(range(N));
        spark = Spark.start("train-encode-test", settings("-", "spark.master=local[2]"));
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void trainResumeEncode(@TempDir Path dir) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String shards = dir.resolve("shards").toString();
        writeShards(hadoop, shards);
        List<String> conf = new ArrayList<>(Arrays.asList(
                "model.input-channels=1",
                "model.input-size=28",
                "data.mean=[0.286]",
                "data.std=[0.353]",
                "bits=16",
                "train.batch-size=32",
                "paths.shards=" + shards,
                "paths.model=" + dir.resolve("model"),
                "paths.codes=" + dir.resolve("codes")));

        conf.add("train.epochs=1");
        TrainJob.Result first = TrainJob.run(spark, settings(conf));
        assertEquals(1, first.lastEpoch);
        conf.set(conf.size() - 1, "train.epochs=2");
        conf.add("jobs.train.resume=true");
        TrainJob.Result resumed = TrainJob.run(spark, settings(conf));
        assertEquals(2, resumed.firstEpoch, "resume must continue after the checkpointed epoch");
        assertTrue(Files.exists(dir.resolve("model-checkpoints/epoch-2/_MLH_COMMITTED")));
        assertTrue(Double.isFinite(resumed.lastTerms.total) && resumed.lastTerms.total > 0);
        assertTrue(resumed.toString().startsWith("epochs 2-2, last epoch L="), resumed.toString());
        assertTrue(resumed.lastTerms.moh.isEmpty(), "no balance or diversity term: " + resumed.lastTerms.moh);
        TrainJob.Result again = TrainJob.run(spark, settings(conf));
        assertEquals("epochs 1-2 already checkpointed, nothing left to train", again.toString());

        List<String> continuous = new ArrayList<>(conf);
        continuous.addAll(Arrays.asList("jobs.encode.continuous=true", "jobs.encode.continuous-int8=true"));
        long n = EncodeJob.run(spark, settings(continuous));
        assertEquals(N, n);
        ModelBundle bundle = ModelBundle.load(hadoop, dir.resolve("model").toString());
        assertEquals(16, bundle.config.bits());
        assertLoadsWithJobKeysOfAnotherRelease(hadoop, dir.resolve("model"), dir.resolve("model-of-a-release"));
        calibrate(dir, conf);
        // the table's codes are the signs of the model's centre branch on the same images, its continuous
        // columns that branch's u and round(127 u)
        List<Row> rows = spark.read()
                .parquet(dir.resolve("codes").toString())
                .orderBy("id")
                .limit(50)
                .collectAsList();
        HashEncoder.BranchCodes local = HashEncoder.encode(bundle.net, images.select(range(50)), 25);
        PackedCodes signs = local.binary(MlhConfig.EncodeBranch.CENTRE);
        for (int i = 0; i < 50; i++) {
            Row r = rows.get(i);
            List<Long> words = r.getList(r.fieldIndex("code"));
            assertArrayEquals(signs.code(i), new long[] {words.get(0)}, "code of image " + i);
            assertEquals(16, r.<Integer>getAs("bits"));
            List<Float> u = r.getList(r.fieldIndex(CodeTable.CONTINUOUS));
            byte[] int8 = r.getAs(CodeTable.CONTINUOUS_INT8);
            assertEquals(16, int8.length);
            for (int k = 0; k < 16; k++) {
                assertEquals(local.centre[i][k], u.get(k), 1e-5f, "u of image " + i);
                assertEquals(Int8Codes.quantize(u.get(k)), int8[k], "int8 u of image " + i);
            }
        }
        IOException exists = assertThrows(IOException.class, () -> EncodeJob.run(spark, settings(conf)));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());

        encodeStraightFromAnImageFolder(dir, conf, bundle);

        // a model file changed after the commit is refused, naming it (BadInputTest: one listed anew in the
        // manifest meets the metadata's SHA-256)
        try (OutputStream out =
                Files.newOutputStream(dir.resolve("model/model.bigdl"), java.nio.file.StandardOpenOption.APPEND)) {
            out.write(0);
        }
        IOException changed = assertThrows(
                IOException.class,
                () -> ModelBundle.load(hadoop, dir.resolve("model").toString()));
        assertTrue(
                changed.getMessage().contains("model.bigdl is ")
                        && changed.getMessage().contains("its manifest says"),
                changed.getMessage());
        // a same-size change gets past the manifest's sizes: the local checksum file, then the SHA-256 refuse it
        Path file = dir.resolve("model/model.bigdl");
        byte[] flipped = Files.readAllBytes(file);
        flipped = java.util.Arrays.copyOf(flipped, flipped.length - 1); // the original length again
        flipped[flipped.length / 2] ^= 1;
        Files.write(file, flipped);
        IOException corrupt = assertThrows(
                IOException.class,
                () -> ModelBundle.load(hadoop, dir.resolve("model").toString()));
        assertTrue(corrupt.getMessage().contains("is corrupt"), corrupt.getMessage());
        Files.delete(dir.resolve("model/.model.bigdl.crc")); // a copy without the local checksum file
        IOException tampered = assertThrows(
                IOException.class,
                () -> ModelBundle.load(hadoop, dir.resolve("model").toString()));
        assertTrue(
                tampered.getMessage().contains("SHA-256")
                        && tampered.getMessage().contains("model.bigdl"),
                tampered.getMessage());
    }

    @Test
    void augmentedTrainingRedrawsEveryEpochAndReleasesItsCaches(@TempDir Path dir) throws Exception {
        String shards = dir.resolve("shards").toString();
        writeShards(spark.sparkContext().hadoopConfiguration(), shards);
        // by id: the map holds its RDDs weakly, so one an earlier test left cached may go while this one runs
        Set<Object> cachedBefore = new HashSet<>(JavaConverters.setAsJavaSetConverter(
                        spark.sparkContext().getPersistentRDDs().keySet())
                .asJava());
        TrainJob.Result r = TrainJob.run(
                spark,
                settings(Arrays.asList(
                        "model.input-channels=1",
                        "model.input-size=28",
                        "data.mean=[0.286]",
                        "data.std=[0.353]",
                        "bits=16",
                        "train.batch-size=32",
                        "train.epochs=3",
                        "data.augment.flip=true",
                        "data.augment.crop-padding=2",
                        "moh.balance-weight=0.01",
                        "moh.diversity-weight=0.1",
                        "paths.shards=" + shards,
                        "paths.model=" + dir.resolve("model"))));
        assertEquals(3, r.lastEpoch);
        assertTrue(Double.isFinite(r.lastTerms.total) && r.lastTerms.total > 0);
        // the MoH's terms on the probe, beside L_C, L_P and L_M: balance >= 0, diversity a mean squared cosine
        assertEquals(Arrays.asList("B_c", "B_p", "D"), new ArrayList<>(r.lastTerms.moh.keySet()));
        for (double v : r.lastTerms.moh.values()) assertTrue(v >= 0 && v <= 4, r.lastTerms.values());
        assertTrue(r.lastTerms.moh.get("D") > 0, r.lastTerms.values());
        assertTrue(r.lastTerms.values().contains(" B_c="), r.lastTerms.values());
        Set<Object> cachedAfter = new HashSet<>(JavaConverters.setAsJavaSetConverter(
                        spark.sparkContext().getPersistentRDDs().keySet())
                .asJava());
        cachedAfter.removeAll(cachedBefore);
        assertEquals(
                Collections.emptySet(),
                cachedAfter,
                () -> "an epoch's training set stayed cached: "
                        + spark.sparkContext().getPersistentRDDs().values());
    }

    /**
     * {@code jobs.encode.input = source}: the same images as PNG files in class folders, plus one broken
     * file, encoded without a shard table: the codes are the model's signs on those images, and the
     * broken file is the one reject.
     */
    /**
     * A bundle whose stored configuration holds job keys this release does not know (one renamed since,
     * one it never had), committed as a release would have: it loads, with its model's settings intact.
     */
    private static void assertLoadsWithJobKeysOfAnotherRelease(Configuration hadoop, Path model, Path copy)
            throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(model.resolve(ModelBundle.METADATA).toFile());
        String config = meta.get("config").asText();
        assertTrue(config.contains("jobs {"), config);
        meta.put("config", config.replace("jobs {", "jobs {\n top-k=10\n evaluate { top-k=0 }\n"));
        io.mlh.jobs.common.CommittedOutput.write(
                hadoop, copy.toString(), false, io.mlh.jobs.common.OutputClaim.Terms.DEFAULT, staging -> {
                    Path dir = Paths.get(staging.toUri().getPath());
                    Files.copy(model.resolve(ModelBundle.MODEL), dir.resolve(ModelBundle.MODEL));
                    json.writeValue(dir.resolve(ModelBundle.METADATA).toFile(), meta);
                    return null;
                });
        ModelBundle loaded = ModelBundle.load(hadoop, copy.toString());
        assertEquals(16, loaded.config.bits());
        assertEquals(28, loaded.config.inputSize());
        assertEquals(1, loaded.config.inputChannels());
    }

    /**
     * mlh-calibrate on the trained bundle: a calibrated bundle beside it (the source unchanged) whose scales
     * cover every convolution, measured on the asked number of training images, the same ones for the same
     * seed; its scales are refused once they claim another model. Asked for int8, an uncalibrated bundle
     * and the MKL BLAS engine are refused naming jobs.encode.precision. (Int8 codes: MlhTrainingTest and
     * FullSizePipelineIT.)
     */
    private static void calibrate(Path dir, List<String> conf) throws Exception {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<String> c = new ArrayList<>(conf);
        c.addAll(Arrays.asList("jobs.calibrate.images=40", "jobs.calibrate.batch-size=16"));
        assertEquals(dir.resolve("model") + "-int8", CalibrateJob.run(spark, settings(c)));
        assertTrue(Files.notExists(dir.resolve("model").resolve(ModelBundle.INT8_SCALES)), "the source bundle changed");
        ModelBundle calibrated =
                ModelBundle.load(hadoop, dir.resolve("model-int8").toString());
        assertEquals(
                8,
                calibrated.int8Scales.layers().size(),
                "vgg-small's 4 convolutions and their 4 ReLUs: " + calibrated.int8Scales.layers());
        Set<Long> ids = new HashSet<>();
        for (com.fasterxml.jackson.databind.JsonNode id : calibrated.calibration.path("ids")) ids.add(id.asLong());
        assertEquals(40, ids.size());
        for (long id : ids) assertTrue(id >= 0 && id < 400, "image " + id + " does not train");
        assertEquals(40, calibrated.calibration.path("images").asInt());
        String sourceSha = CommittedOutput.verified(hadoop, dir.resolve("model").toString())
                .sha256(ModelBundle.MODEL);
        assertEquals(
                sourceSha,
                calibrated
                        .calibration
                        .path("calibrated_from")
                        .path("model_sha256")
                        .asText());

        c.add("jobs.calibrate.output=" + dir.resolve("model-int8-again"));
        CalibrateJob.run(spark, settings(c));
        Path scales = dir.resolve("model-int8").resolve(ModelBundle.INT8_SCALES);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode first = json.readTree(scales.toFile()),
                again =
                        json.readTree(dir.resolve("model-int8-again")
                                .resolve(ModelBundle.INT8_SCALES)
                                .toFile());
        assertEquals(
                first.path("calibration").path("ids"), again.path("calibration").path("ids"), "the same seed");
        assertEquals(first.path("layers"), again.path("layers"), "the same images, the same scales");

        // scales that claim another model's file (the same length: past the manifest's sizes; no local
        // checksum file) are refused
        Files.delete(dir.resolve("model-int8").resolve("." + ModelBundle.INT8_SCALES + ".crc"));
        String text = new String(Files.readAllBytes(scales), "UTF-8");
        String own = CommittedOutput.verified(hadoop, dir.resolve("model-int8").toString())
                .sha256(ModelBundle.MODEL);
        assertTrue(text.contains(own));
        Files.write(
                scales,
                text.replaceFirst(own, (own.charAt(0) == 'a' ? "b" : "a") + own.substring(1))
                        .getBytes("UTF-8"));
        IOException foreign = assertThrows(
                IOException.class,
                () -> ModelBundle.load(hadoop, dir.resolve("model-int8").toString()));
        assertTrue(foreign.getMessage().contains("int8 scales of another model"), foreign.getMessage());

        List<String> int8 = new ArrayList<>(conf);
        int8.addAll(Arrays.asList("jobs.encode.precision=int8", "paths.codes=" + dir.resolve("codes-int8")));
        io.mlh.core.config.ConfigError blas =
                assertThrows(io.mlh.core.config.ConfigError.class, () -> EncodeJob.run(spark, settings(int8)));
        assertTrue(
                blas.getMessage().contains("mlh.jobs.encode.precision")
                        && blas.getMessage().contains("mkldnn"),
                blas.getMessage());
        int8.add("train.engine=mkldnn");
        MlhConfig.Engine before = ComputeEngine.switchForTest(MlhConfig.Engine.MKLDNN);
        try {
            io.mlh.core.config.ConfigError uncalibrated =
                    assertThrows(io.mlh.core.config.ConfigError.class, () -> EncodeJob.run(spark, settings(int8)));
            String why = io.mlh.core.bigdl.Int8Inference.unavailable();
            assertTrue(
                    uncalibrated.getMessage().contains("mlh.jobs.encode.precision")
                            && uncalibrated
                                    .getMessage()
                                    .contains(
                                            why != null ? why : "has no " + ModelBundle.INT8_SCALES + ": calibrate it"),
                    uncalibrated.getMessage());
        } finally {
            ComputeEngine.switchForTest(before);
        }
        assertTrue(Files.notExists(dir.resolve("codes-int8")), "a refused encode wrote its table");
    }

    private static void encodeStraightFromAnImageFolder(Path dir, List<String> conf, ModelBundle bundle)
            throws IOException {
        Path root = dir.resolve("folder");
        int[] picked = new int[50];
        int[] perClass = new int[10];
        for (int i = 0, k = 0; k < picked.length; i++) {
            int c = label(i);
            if (perClass[c] == 5) continue;
            perClass[c]++;
            picked[k++] = i;
            BufferedImage png = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int p = 0; p < 784; p++) png.getRaster().setSample(p % 28, p / 28, 0, pixel(i, p) & 0xff);
            Path file = Files.createDirectories(root.resolve("train").resolve("class-" + c))
                    .resolve(i + ".png");
            ImageIO.write(png, "png", file.toFile());
        }
        Path broken = root.resolve("train/class-3/broken.png");
        Files.write(
                broken,
                Arrays.copyOf(
                        Files.readAllBytes(root.resolve("train/class-3").resolve(firstOfClass(picked, 3) + ".png")),
                        40));

        List<String> source = new ArrayList<>(conf);
        source.addAll(Arrays.asList(
                "jobs.encode.input=source",
                "data.source=folder",
                "data.root=" + root,
                "data.folder-split=train",
                "data.queries-per-class=1",
                "data.train-per-class=0",
                "data.shards=2",
                "data.on-bad-record=skip",
                "paths.codes=" + dir.resolve("folder-codes")));
        assertEquals(50, EncodeJob.run(spark, settings(source)));

        // the table's (label, code) pairs are the model's on the 50 images, whatever ids the folder gave them
        PackedCodes expected =
                HashEncoder.encode(bundle.net, images.select(picked), 25).binary(MlhConfig.EncodeBranch.CENTRE);
        List<String> want = new ArrayList<>(), got = new ArrayList<>();
        for (int i = 0; i < picked.length; i++) want.add(label(picked[i]) + ":" + expected.code(i)[0]);
        int queries = 0;
        for (Row r :
                CodeTable.read(spark, dir.resolve("folder-codes").toString()).collectAsList()) {
            List<Integer> y = r.getList(2);
            got.add(y.indexOf(1) + ":" + r.<Long>getList(4).get(0));
            if (r.getString(1).equals("query")) queries++;
        }
        want.sort(null);
        got.sort(null);
        assertEquals(want, got);
        assertEquals(10, queries, "one query a class");
        List<Row> rejects = spark.read()
                .parquet(dir.resolve("folder-codes-rejects").toString())
                .collectAsList();
        assertEquals(1, rejects.size(), rejects.toString());
        assertTrue(rejects.get(0).getString(0).endsWith("class-3/broken.png"), rejects.toString());
        assertTrue(Files.exists(dir.resolve("folder-codes/_MLH_COMMITTED"))
                && Files.exists(dir.resolve("folder-codes-rejects/_MLH_COMMITTED")));
    }

    private static int firstOfClass(int[] picked, int c) {
        for (int i : picked) if (label(i) == c) return i;
        throw new IllegalStateException("no image of class " + c);
    }

    private static int label(int i) {
        for (int c = 0; c < images.labels[i].length; c++) if (images.labels[i][c] == 1) return c;
        throw new IllegalStateException("image " + i + " has no label");
    }

    @Test
    void aTrainingStagesLineageDoesNotGrowWithTheEpochs(@TempDir Path dir) throws Exception {
        String shards = dir.resolve("shards").toString();
        writeShards(spark.sparkContext().hadoopConfiguration(), shards);
        // BigDL zips each call's replicas with the optimiser state the previous call left: unless the job
        // cuts that chain, the last epoch's stages carry every earlier epoch's RDDs (and their broadcasts)
        int afterTwo = longestStageLineage(dir.resolve("two"), shards, 2);
        int afterFive = longestStageLineage(dir.resolve("five"), shards, 5);
        assertTrue(afterTwo > 1, "no stage was seen: " + afterTwo);
        assertEquals(afterTwo, afterFive, "RDDs in the longest stage after 2 epochs, then after 5");
    }

    @Test
    void aTrainingRunLeavesNoWeightOrGradientBlocksBehind(@TempDir Path dir) throws Exception {
        String shards = dir.resolve("shards").toString();
        writeShards(spark.sparkContext().hadoopConfiguration(), shards);
        // DistriOptimizer stores each call's weights and gradients in the block manager (the driver's, in
        // local mode) and never removes them: an epoch a call, 2 epochs would leave two sets
        trainSmall(dir, shards, 2);
        assertEquals(0, ParameterBlocks.heldHere(), "weight and gradient blocks left in the block manager");
    }

    /** The most RDDs any stage of a training run of {@code epochs} epochs computes over (its narrow lineage). */
    private static int longestStageLineage(Path dir, String shards, int epochs) throws Exception {
        AtomicInteger longest = new AtomicInteger();
        SparkListener watch = new SparkListener() {
            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
                longest.accumulateAndGet(submitted.stageInfo().rddInfos().size(), Math::max);
            }
        };
        spark.sparkContext().addSparkListener(watch);
        try {
            trainSmall(dir, shards, epochs);
            spark.sparkContext().listenerBus().waitUntilEmpty(30_000);
        } finally {
            spark.sparkContext().removeSparkListener(watch);
        }
        return longest.get();
    }

    /** Trains a 16-bit model on {@code shards} for {@code epochs} epochs, into {@code dir}. */
    private static void trainSmall(Path dir, String shards, int epochs) throws IOException {
        TrainJob.run(
                spark,
                settings(Arrays.asList(
                        "model.input-channels=1",
                        "model.input-size=28",
                        "data.mean=[0.286]",
                        "data.std=[0.353]",
                        "bits=16",
                        "train.batch-size=32",
                        "train.epochs=" + epochs,
                        "jobs.train.tensorboard=false",
                        "paths.shards=" + shards,
                        "paths.model=" + dir.resolve("model"))));
    }

    /** Image i's byte at pixel p, as stored in the IDX file. */
    private static byte pixel(int i, int p) {
        return (byte) Math.round((images.pixels[i * 784 + p] * FashionMnist.STD + FashionMnist.MEAN) * 255);
    }

    /** A shard table in the shard job's schema: every image a database row, the first 400 for training. */
    private static void writeShards(Configuration hadoop, String path) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            byte[] px = new byte[784];
            for (int k = 0; k < 784; k++) px[k] = pixel(i, k);
            int[] y = new int[10];
            for (int c = 0; c < 10; c++) y[c] = (int) images.labels[i][c];
            rows.add(RowFactory.create((long) i, "database", i < 400, y, px, "raw", 28, 28, 1, "t10k#" + i));
        }
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop, path, false);
        spark.createDataFrame(rows, io.mlh.jobs.tables.ShardTable.SCHEMA)
                .repartition(3)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(hadoop, staging, path);
    }

    private static JobSettings settings(String... args) {
        return JobSettings.fromArgs(args);
    }

    private static JobSettings settings(List<String> overrides) {
        List<String> args = new ArrayList<>();
        args.add("-");
        args.addAll(overrides);
        return settings(args.toArray(new String[0]));
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
