package io.mlh.jobs.refused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.cluster.CifarSubset;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Manifest;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.OutputClaim;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import io.mlh.jobs.train.TrainJob;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad inputs the other tests do not plant (ShardBadInputTest: 16 bad records and headers under both
 * policies), each given to the job that reads it on local Spark: every one fails with a message that
 * names the item and the reason, and leaves every file under the test's directory as it was (no
 * output, no staging directory). Files that would run code if Java-deserialised never are.
 */
class BadInputTest {
    private static final String[] COMMON = {
        "classes=10",
        "bits=16",
        "model.input-channels=3",
        "model.input-size=32",
        "data.mean=[0.49,0.48,0.45]",
        "data.std=[0.25,0.24,0.26]",
        "train.batch-size=8",
        "data.shards=2"
    };
    private static SparkSession spark;

    @org.junit.jupiter.api.io.TempDir
    static Path shared;
    /** 20 real CIFAR-10 JPEGs (cifar10/train/<class>/000{0,1}.jpg), their shard table, an untrained model bundle, a 1-epoch run (its checkpoints). */
    private static Path cifar, shards, model, trained;

    private static int tried;

    @BeforeAll
    static void start() throws Exception {
        spark = Spark.start("bad-input-test", settings(Arrays.asList("spark.master=local[2]")));
        cifar = CifarSubset.extract(shared.resolve("cifar"), "000[01].jpg").resolve("cifar10");
        shards = shared.resolve("shards");
        trained = shared.resolve("trained");
        model = shared.resolve("model");
        ShardJob.run(
                spark,
                settings(Arrays.asList(
                        "paths.shards=" + shards,
                        "data.source=folder",
                        "data.root=" + cifar,
                        "data.queries-per-class=1",
                        "data.train-per-class=1")));
        TrainJob.run(
                spark, settings(Arrays.asList("paths.shards=" + shards, "paths.model=" + trained, "train.epochs=1")));
        JobSettings s = settings(new ArrayList<String>());
        MlhConfig c = s.model;
        @SuppressWarnings({"unchecked", "rawtypes"})
        AbstractModule<Activity, Activity, Float> net = (AbstractModule) MlhNet.build(c);
        Framing framing = Framing.of(c);
        new ModelBundle(
                        net,
                        c,
                        HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance()),
                        framing.mean(),
                        framing.std(),
                        framing.centreCrop())
                .save(hadoop(), model.toString(), false, OutputClaim.Terms.DEFAULT);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        System.out.println(
                "BadInputTest: " + tried + " bad inputs tried, each refused naming the item, nothing written");
    }

    /** A failed Spark job returns before its other tasks stop: wait for them before looking at the files. */
    @AfterEach
    void waitForStragglingTasks() {
        assertTrue(Spark.awaitNoRunningTasks(spark), "a task of the failed job still runs after a minute");
    }

    enum Job {
        SETTINGS,
        SHARD,
        TRAIN,
        ENCODE,
        EVALUATE
    }

    /** One bad input: the job that meets it, and what its message must say (the item, the reason). */
    enum Bad {
        ZERO_BYTE_IMAGE(Job.SHARD, "train/cat/0002.jpg", "not a JPEG or PNG image (0 bytes)"),
        NON_IMAGE_FILE(Job.ENCODE, "train/dog/0002.png", "not a JPEG or PNG image (31 bytes)"),
        ZERO_BYTE_IDX(Job.SHARD, "train-labels-idx1-ubyte", "ends inside its header"),
        IDX_TRAILING_BYTES(
                Job.SHARD, "t10k-images-idx3-ubyte", "header promises 10 images of 28x28 but more data follows"),
        UNKNOWN_KEY(Job.SETTINGS, "mlh.train.epoch", "did you mean 'mlh.train.epochs'"),
        UNKNOWN_KEY_IN_PROFILE(Job.SETTINGS, "mlh.model.backbon", "unknown key"),
        BITS_0(Job.SETTINGS, "mlh.bits", "must be a multiple of 8 in 8..1024, got 0"),
        BITS_7(Job.SETTINGS, "mlh.bits", "must be a multiple of 8 in 8..1024, got 7"),
        BITS_100000(Job.SETTINGS, "mlh.bits", "must be a multiple of 8 in 8..1024, got 100000"),
        QUERY_AND_DATABASE_BITS_DIFFER(Job.EVALUATE, "16-bit codes", "32-bit codes"),
        MODEL_CHECKSUM_MISMATCH(Job.ENCODE, "model.bigdl", "SHA-256"),
        JAVA_SERIALISED_MODEL(Job.ENCODE, "model.bigdl", "not a model in BigDL's protobuf format"),
        TAMPERED_CHECKPOINT_STATE(Job.TRAIN, "epoch-1", "optim.state is "),
        TAMPERED_CHECKPOINT_STATE_RECOMMITTED(
                Job.TRAIN, "epoch-1/model.bigdl", "not a model in BigDL's protobuf format"),
        CHECKPOINT_WITHOUT_MANIFEST(Job.TRAIN, "epoch-1", "has no _MLH_MANIFEST"),
        CODE_FILE_DELETED(Job.EVALUATE, "in/db", "has lost part-"),
        CODE_FILE_TRUNCATED(Job.EVALUATE, "in/db", "bytes, its manifest says"),
        CODE_FILE_ADDED(Job.EVALUATE, "in/db", "which its manifest does not list"),
        CODE_FILE_BIT_FLIPPED(Job.EVALUATE, "in/db", "does not match its SHA-256 in the manifest"),
        SHARDS_WITHOUT_MANIFEST(Job.TRAIN, "in/shards", "has no _MLH_MANIFEST"),
        SHARDS_OF_THE_OLDER_LAYOUT(Job.TRAIN, "in/shards", "has no column training"),
        UNCOMMITTED_MODEL(Job.ENCODE, "in/model", "no _MLH_COMMITTED marker"),
        UNCOMMITTED_SHARDS(Job.TRAIN, "in/shards", "no _MLH_COMMITTED marker");

        final Job job;
        final String item, reason;

        Bad(Job job, String item, String reason) {
            this.job = job;
            this.item = item;
            this.reason = reason;
        }
    }

    @ParameterizedTest
    @EnumSource(Bad.class)
    void refusedNamingTheItemAndNothingWritten(Bad bad, @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<String> conf = new ArrayList<>(Arrays.asList(
                "paths.shards=" + dir.resolve("in/shards"),
                "paths.model=" + dir.resolve("in/model"),
                "paths.codes=" + dir.resolve("out/codes"),
                "paths.report=" + dir.resolve("out/report")));
        List<String> own = plant(bad, dir.resolve("in"));
        if (!own.isEmpty() && !own.get(0).contains("=")) conf.add(0, own.remove(0)); // a profile file goes first
        conf.addAll(own);
        Map<String, Long> before = files(dir);
        Gadget.RAN.set(false);
        Exception e = assertThrows(Exception.class, () -> run(bad.job, conf));
        tried++;
        waitForStragglingTasks();
        String message = messages(e);
        assertTrue(message.contains(bad.item) && message.contains(bad.reason), bad + ": " + message);
        assertEquals(before, files(dir), bad + " left files behind or changed them");
        assertFalse(Gadget.RAN.get(), "a planted Java-serialised object was deserialised");
    }

    /** Writes the case's inputs under {@code in}; returns its config overrides. */
    private static List<String> plant(Bad bad, Path in) throws Exception {
        Files.createDirectories(in);
        List<String> conf = new ArrayList<>();
        switch (bad) {
            case ZERO_BYTE_IMAGE:
                copyTree(cifar, in.resolve("images"));
                Files.write(in.resolve("images/train/cat/0002.jpg"), new byte[0]);
                conf.addAll(Arrays.asList(
                        "data.source=folder",
                        "data.root=" + in.resolve("images"),
                        "data.queries-per-class=1",
                        "data.train-per-class=1"));
                break;
            case NON_IMAGE_FILE:
                copyTree(cifar, in.resolve("images"));
                Files.write(
                        in.resolve("images/train/dog/0002.png"),
                        "a text file named like an image".getBytes(StandardCharsets.UTF_8));
                copyTree(model, in.resolve("model"));
                conf.addAll(Arrays.asList(
                        "jobs.encode.input=source",
                        "data.source=folder",
                        "data.root=" + in.resolve("images"),
                        "data.queries-per-class=1",
                        "data.train-per-class=1"));
                break;
            case ZERO_BYTE_IDX:
            case IDX_TRAILING_BYTES:
                idx(in.resolve("idx"), bad);
                conf.addAll(Arrays.asList(
                        "data.source=idx",
                        "data.root=" + in.resolve("idx"),
                        "model.input-channels=1",
                        "model.input-size=28",
                        "data.mean=[0.3]",
                        "data.std=[0.3]",
                        "data.queries-per-class=1",
                        "data.train-per-class=1"));
                break;
            case UNKNOWN_KEY:
                conf.add("train.epoch=3");
                break;
            case UNKNOWN_KEY_IN_PROFILE:
                Path profile = in.resolve("profile.conf");
                Files.write(profile, "mlh { model { backbon = vgg-small } }\n".getBytes(StandardCharsets.UTF_8));
                conf.add(0, profile.toString());
                break;
            case BITS_0:
            case BITS_7:
            case BITS_100000:
                conf.add("bits=" + bad.name().substring(5));
                break;
            case QUERY_AND_DATABASE_BITS_DIFFER:
                codes(in.resolve("q16"), 16, "query");
                codes(in.resolve("db32"), 32, "database");
                conf.addAll(Arrays.asList(
                        "jobs.evaluate.query-codes=" + in.resolve("q16"),
                        "jobs.evaluate.database-codes=" + in.resolve("db32")));
                break;
            case MODEL_CHECKSUM_MISMATCH: // an altered model file, listed anew in the manifest: metadata.json's
                // checksum
                copyTree(model, in.resolve("model"));
                try (OutputStream out = Files.newOutputStream(
                        in.resolve("model/model.bigdl"), java.nio.file.StandardOpenOption.APPEND)) {
                    out.write(0);
                }
                recommit(in.resolve("model"));
                break;
            case JAVA_SERIALISED_MODEL: // a crafted model file with a metadata checksum to match
                copyTree(model, in.resolve("model"));
                byte[] gadget = Gadget.bytes();
                Files.write(in.resolve("model/model.bigdl"), gadget);
                ObjectNode meta = (ObjectNode) new ObjectMapper()
                        .readTree(in.resolve("model/metadata.json").toFile());
                meta.put("model_sha256", sha256(gadget));
                Files.write(in.resolve("model/metadata.json"), new ObjectMapper().writeValueAsBytes(meta));
                recommit(in.resolve("model"));
                break;
            case TAMPERED_CHECKPOINT_STATE:
            case TAMPERED_CHECKPOINT_STATE_RECOMMITTED:
            case CHECKPOINT_WITHOUT_MANIFEST:
                copyTree(shards, in.resolve("shards"));
                Path checkpoints = in.resolve("model-checkpoints");
                copyTree(shared.resolve("trained-checkpoints"), checkpoints);
                if (bad == Bad.CHECKPOINT_WITHOUT_MANIFEST) {
                    Files.delete(checkpoints.resolve("epoch-1/" + Manifest.FILE));
                } else {
                    Files.write(checkpoints.resolve("epoch-1/optim.state"), Gadget.bytes());
                    // the gadget listed in the manifest as if the job wrote it: the model loader still refuses the
                    // model file, and the state is never deserialised before that
                    if (bad == Bad.TAMPERED_CHECKPOINT_STATE_RECOMMITTED) {
                        Files.write(checkpoints.resolve("epoch-1/model.bigdl"), Gadget.bytes());
                        recommit(checkpoints.resolve("epoch-1"));
                    }
                }
                conf.addAll(Arrays.asList("jobs.train.resume=true", "train.epochs=2"));
                break;
            case CODE_FILE_DELETED:
            case CODE_FILE_TRUNCATED:
            case CODE_FILE_ADDED:
            case CODE_FILE_BIT_FLIPPED:
                codes(in.resolve("q"), 16, "query");
                codes(in.resolve("db"), 16, "database");
                Path part = parquetFiles(in.resolve("db")).get(1);
                byte[] bytes = Files.readAllBytes(part);
                if (bad == Bad.CODE_FILE_DELETED) Files.delete(part);
                else if (bad == Bad.CODE_FILE_TRUNCATED) Files.write(part, Arrays.copyOf(bytes, bytes.length - 100));
                else if (bad == Bad.CODE_FILE_ADDED)
                    Files.write(part.resolveSibling("part-99999.snappy.parquet"), bytes);
                else { // a flipped bit in a data page: same size, no .crc side file to catch it
                    bytes[bytes.length / 2] ^= 0x10;
                    Files.write(part, bytes);
                    Files.deleteIfExists(part.resolveSibling("." + part.getFileName() + ".crc"));
                    conf.add("jobs.verify-inputs=true");
                }
                conf.addAll(Arrays.asList(
                        "jobs.evaluate.query-codes=" + in.resolve("q"),
                        "jobs.evaluate.database-codes=" + in.resolve("db")));
                break;
            case SHARDS_OF_THE_OLDER_LAYOUT: { // the training flag named as the split value once was
                Dataset<Row> old = ShardTable.read(spark, shards.toString())
                        .withColumnRenamed(ShardTable.TRAINING, Split.TRAIN.value());
                CommittedOutput.write(
                        spark, in.resolve("shards").toString(), false, OutputClaim.Terms.DEFAULT, staging -> {
                            old.write().mode(SaveMode.Overwrite).parquet(staging.toString());
                            return null;
                        });
                break;
            }
            case SHARDS_WITHOUT_MANIFEST: // written by a version of the jobs without manifests
                copyTree(shards, in.resolve("shards"));
                Files.delete(in.resolve("shards").resolve(Manifest.FILE));
                break;
            case UNCOMMITTED_MODEL: // a train job killed before its commit
                copyTree(model, in.resolve("model"));
                Files.delete(in.resolve("model").resolve(CommittedOutput.MARKER));
                break;
            default: // UNCOMMITTED_SHARDS: a shard job killed before its commit
                copyTree(shards, in.resolve("shards"));
                Files.delete(in.resolve("shards").resolve(CommittedOutput.MARKER));
        }
        return conf;
    }

    private static Object run(Job job, List<String> conf) throws Exception {
        JobSettings s = settings(conf);
        switch (job) {
            case SETTINGS:
                return s;
            case SHARD:
                return ShardJob.run(spark, s);
            case TRAIN:
                return TrainJob.run(spark, s);
            case ENCODE:
                return EncodeJob.run(spark, s);
            default:
                return EvaluateJob.run(spark, s);
        }
    }

    /** Ten Fashion-MNIST-shaped images a file (random pixels, labels 0..9): the case's fault in one file. */
    private static void idx(Path root, Bad bad) throws IOException {
        Files.createDirectories(root);
        byte[] pixels = new byte[10 * 784];
        new java.util.Random(1).nextBytes(pixels);
        for (String part : new String[] {"train", "t10k"}) {
            try (DataOutputStream out =
                    new DataOutputStream(Files.newOutputStream(root.resolve(part + "-images-idx3-ubyte")))) {
                out.writeInt(0x803);
                out.writeInt(10);
                out.writeInt(28);
                out.writeInt(28);
                out.write(pixels);
                if (bad == Bad.IDX_TRAILING_BYTES && part.equals("t10k")) out.write(new byte[784]);
            }
            try (DataOutputStream out =
                    new DataOutputStream(Files.newOutputStream(root.resolve(part + "-labels-idx1-ubyte")))) {
                if (bad == Bad.ZERO_BYTE_IDX && part.equals("train")) continue;
                out.writeInt(0x801);
                out.writeInt(10);
                for (int i = 0; i < 10; i++) out.write(i);
            }
        }
    }

    /** A committed code table of {@code bits}-bit codes, ten rows of {@code split}. */
    private static void codes(Path table, int bits, String split) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++)
            rows.add(RowFactory.create((long) i, split, new int[] {i % 2, 1 - i % 2}, bits, new long[] {i}));
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop(), table.toString(), false);
        spark.createDataFrame(rows, CodeTable.REQUIRED)
                .repartition(2)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(staging.toString());
        CommittedOutput.commit(hadoop(), staging, table.toString());
    }

    /**
     * Every file under {@code dir} with its size, and every directory that holds something (-1): an
     * output's parent directory, made before the job failed, may stay, empty.
     */
    private static Map<String, Long> files(Path dir) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (!Files.isDirectory(p)) out.put(dir.relativize(p).toString(), Files.size(p));
                else if (!isEmpty(p)) out.put(dir.relativize(p).toString(), -1L);
            }
        }
        return out;
    }

    /** The Parquet files of a table, by name. */
    private static List<Path> parquetFiles(Path table) throws IOException {
        try (Stream<Path> all = Files.list(table)) {
            List<Path> out = new ArrayList<>();
            all.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .forEach(out::add);
            return out;
        }
    }

    /** Commits {@code output}'s files again, as a writer would that also rewrote the manifest. */
    private static void recommit(Path output) throws IOException {
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop(), output.toString(), true);
        Path local = Paths.get(staging.toUri().getPath());
        try (Stream<Path> all = Files.list(output)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String name = p.getFileName().toString();
                if (!name.equals(Manifest.FILE) && !name.equals(CommittedOutput.MARKER) && !name.startsWith("."))
                    Files.copy(p, local.resolve(name));
            }
        }
        CommittedOutput.commit(hadoop(), staging, output.toString());
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return !entries.findAny().isPresent();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else if (!p.getFileName().toString().endsWith(".crc"))
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The message of an exception and of its causes. */
    private static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) b.append(t).append(" | ");
        return b.toString();
    }

    private static String sha256(byte[] b) throws Exception {
        StringBuilder hex = new StringBuilder();
        for (byte x : MessageDigest.getInstance("SHA-256").digest(b)) hex.append(String.format("%02x", x));
        return hex.toString();
    }

    private static Configuration hadoop() {
        return spark.sparkContext().hadoopConfiguration();
    }

    /** This test's defaults, then {@code overrides}; a leading profile file (no '=') goes first. */
    private static JobSettings settings(List<String> overrides) {
        List<String> args = new ArrayList<>();
        boolean profile = !overrides.isEmpty() && !overrides.get(0).contains("=");
        args.add(profile ? overrides.get(0) : "-");
        args.addAll(Arrays.asList(COMMON));
        args.addAll(profile ? overrides.subList(1, overrides.size()) : overrides);
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }
}
