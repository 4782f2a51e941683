package io.mlh.jobs.shard;

import static io.mlh.jobs.shard.Fixtures.CIFAR_CLASSES;
import static io.mlh.jobs.shard.Fixtures.line;
import static io.mlh.jobs.shard.Fixtures.oneHot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.data.IdxFile;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.source.BadRecordException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of bad input under both policies, each added to a small clean data set of real images:
 * fail names the record and the reason and writes nothing; skip writes the good records and one
 * reject; header-level problems fail under either policy.
 */
class ShardBadInputTest {
    private static final int IDX_TRAIN = 200, IDX_TEST = 50;
    private static SparkSession spark;

    @TempDir
    static Path shared;
    /** 20 real CIFAR-10 JPEGs: cifar10/train/<class>/000{0,1}.jpg. */
    private static Path cifar;

    private static IdxFile.Images fashionTrain, fashionTest;
    private static int[] fashionTrainLabels, fashionTestLabels;

    @BeforeAll
    static void start() throws Exception {
        spark = Fixtures.spark();
        cifar = Fixtures.cifar(shared, "000[01].jpg");
        fashionTrain = read(true, "train");
        fashionTest = read(true, "t10k");
        fashionTrainLabels = read(false, "train");
        fashionTestLabels = read(false, "t10k");
    }

    /**
     * A failed Spark job returns before its other running tasks have stopped, and those may still
     * touch the output directory: wait for them, so the temporary directory can be removed.
     */
    @org.junit.jupiter.api.AfterEach
    void waitForStragglingTasks() {
        assertTrue(Spark.awaitNoRunningTasks(spark), "a task of the failed job still runs after a minute");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** One bad input: how to plant it, the record it is, what the reason says, how many good records remain. */
    enum Bad {
        CORRUPT_JPEG(Source.LIST, "database.txt:11", "corrupt jpeg", 20),
        TRUNCATED_JPEG(Source.LIST, "database.txt:11", "truncated JPEG", 20),
        NOT_AN_IMAGE(Source.LIST, "database.txt:11", "not a JPEG or PNG image", 20),
        MISSING_FILE(Source.LIST, "database.txt:11", "missing file", 20),
        LABEL_LENGTH(Source.LIST, "database.txt:11", "label vector has 9 entries, mlh.classes = 10", 20),
        EMPTY_LABEL(Source.LIST, "database.txt:11", "empty label", 20),
        LABEL_VALUE(Source.LIST, "database.txt:11", "label value '2' (class 4) is not 0 or 1", 20),
        ESCAPING_PATH(Source.LIST, "database.txt:11", "escapes the image root", 20),
        ABSOLUTE_PATH(Source.LIST, "database.txt:11", "is absolute", 20),
        CORRUPT_IN_FOLDER(Source.FOLDER, "train/cat/0002.jpg", "corrupt jpeg", 20),
        TRUNCATED_IN_FOLDER(Source.FOLDER, "train/dog/0002.jpg", "truncated JPEG", 20),
        NOT_AN_IMAGE_FILE_NAME(Source.FOLDER, "train/cat/notes.txt", "not a .jpg, .jpeg or .png file", 20),
        IDX_LABEL_OUT_OF_RANGE(
                Source.IDX,
                "train-images-idx3-ubyte#7",
                "label 10 is not one of the classes 0..9",
                IDX_TRAIN + IDX_TEST - 1),
        // header-level: always fail
        IDX_SIZE_DISAGREES(
                Source.IDX,
                "train-images-idx3-ubyte",
                "header promises 200 images of 28x28 but the file ends early",
                -1),
        IDX_COUNTS_DISAGREE(Source.IDX, "t10k-images-idx3-ubyte", "holds 50 images but", -1),
        CLASS_COUNT(Source.FOLDER, "train has 11 class directories", "but mlh.classes = 10", -1);

        final Source source;
        final String record, reason;
        final int good;

        Bad(Source source, String record, String reason, int good) {
            this.source = source;
            this.record = record;
            this.reason = reason;
            this.good = good;
        }

        boolean headerLevel() {
            return good < 0;
        }
    }

    enum Source {
        LIST,
        FOLDER,
        IDX
    }

    @ParameterizedTest
    @EnumSource(Bad.class)
    void failPolicyNamesTheRecordAndWritesNothing(Bad bad, @TempDir Path dir) throws Exception {
        List<String> conf = plant(bad, dir);
        conf.add("data.on-bad-record=fail");
        Exception e = assertThrows(Exception.class, () -> ShardJob.run(spark, Fixtures.settings(conf)));
        if (!bad.headerLevel()) assertInstanceOf(BadRecordException.class, e);
        assertTrue(e.getMessage().contains(bad.record) && e.getMessage().contains(bad.reason), e.getMessage());
        assertNothingWritten(dir);
    }

    @ParameterizedTest
    @EnumSource(Bad.class)
    void skipPolicyWritesTheRejectsTable(Bad bad, @TempDir Path dir) throws Exception {
        List<String> conf = plant(bad, dir);
        conf.add("data.on-bad-record=skip");
        String out = dir.resolve("out/shards").toString();
        if (bad.headerLevel()) {
            Exception e = assertThrows(Exception.class, () -> ShardJob.run(spark, Fixtures.settings(conf)));
            assertTrue(e.getMessage().contains(bad.record) && e.getMessage().contains(bad.reason), e.getMessage());
            assertNothingWritten(dir);
            return;
        }
        ShardJob.Result r = ShardJob.run(spark, Fixtures.settings(conf));
        assertEquals(1, r.rejects);
        assertEquals(bad.good, r.rows());
        assertEquals(bad.good, Fixtures.table(spark, out).count());
        List<Row> rejects = Fixtures.rejects(spark, out);
        assertEquals(1, rejects.size());
        assertTrue(
                rejects.get(0).getString(0).endsWith(bad.record), rejects.get(0).toString());
        assertTrue(
                rejects.get(0).getString(1).contains(bad.reason), rejects.get(0).toString());
    }

    /** Writes the clean data set plus the bad input into {@code dir}; returns the job's overrides. */
    private static List<String> plant(Bad bad, Path dir) throws Exception {
        List<String> conf =
                new ArrayList<>(Arrays.asList("paths.shards=" + dir.resolve("out/shards"), "data.shards=2"));
        Path root = dir.resolve("data");
        switch (bad.source) {
            case LIST:
                copyCifar(root);
                conf.addAll(Arrays.asList(
                        "data.source=list", "data.root=" + root, "data.list-dir=" + dir.resolve("lists")));
                writeLists(bad, root, dir.resolve("lists"));
                break;
            case FOLDER:
                copyCifar(root);
                conf.addAll(Arrays.asList(
                        "data.source=folder",
                        "data.root=" + root,
                        "data.queries-per-class=1",
                        "data.train-per-class=1"));
                plantInFolder(bad, root.resolve("train"));
                break;
            default:
                conf.addAll(Arrays.asList(
                        "data.source=idx", "data.root=" + root, "data.queries-per-class=2", "data.train-per-class=3"));
                writeIdx(bad, root);
        }
        return conf;
    }

    /** test.txt: 0000.jpg of each class; database.txt: 0001.jpg of each class and the bad line as line 11; train.txt: 5 of the database. */
    private static void writeLists(Bad bad, Path root, Path lists) throws Exception {
        List<String> test = new ArrayList<>(), database = new ArrayList<>(), train = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            test.add(line("train/" + CIFAR_CLASSES[c] + "/0000.jpg", oneHot(c, 10)));
            database.add(line("train/" + CIFAR_CLASSES[c] + "/0001.jpg", oneHot(c, 10)));
        }
        train.addAll(database.subList(0, 5));
        byte[] good = Files.readAllBytes(root.resolve("train/cat/0001.jpg"));
        int[] y = oneHot(3, 10);
        Files.createDirectories(root.resolve("bad"));
        switch (bad) {
            case CORRUPT_JPEG:
                Files.write(root.resolve("bad/x.jpg"), Fixtures.zeroHeight(good));
                break;
            case TRUNCATED_JPEG:
                Files.write(root.resolve("bad/x.jpg"), Arrays.copyOf(good, good.length / 2));
                break;
            case NOT_AN_IMAGE:
                Files.write(root.resolve("bad/x.jpg"), "this is a text file".getBytes(StandardCharsets.UTF_8));
                break;
            case MISSING_FILE:
                break;
            case LABEL_LENGTH:
                y = Arrays.copyOf(y, 9);
                break;
            case EMPTY_LABEL:
                y = new int[10];
                break;
            case LABEL_VALUE:
                y[4] = 2;
                break;
            default:
        }
        Files.copy(root.resolve("train/cat/0001.jpg"), root.resolve("outside.jpg")); // exists: only the path is wrong
        String path = bad == Bad.ESCAPING_PATH
                ? "bad/../../data/outside.jpg"
                : bad == Bad.ABSOLUTE_PATH ? root.resolve("train/cat/0001.jpg").toString() : "bad/x.jpg";
        database.add(line(path, y));
        Fixtures.writeLines(lists.resolve("test.txt"), test);
        Fixtures.writeLines(lists.resolve("database.txt"), database);
        Fixtures.writeLines(lists.resolve("train.txt"), train);
    }

    private static void plantInFolder(Bad bad, Path train) throws Exception {
        byte[] good = Files.readAllBytes(train.resolve("cat/0001.jpg"));
        switch (bad) {
            case CORRUPT_IN_FOLDER:
                Files.write(train.resolve("cat/0002.jpg"), Fixtures.zeroHeight(good));
                break;
            case TRUNCATED_IN_FOLDER:
                Files.write(train.resolve("dog/0002.jpg"), Arrays.copyOf(good, good.length - 100));
                break;
            case NOT_AN_IMAGE_FILE_NAME:
                Files.write(train.resolve("cat/notes.txt"), "notes".getBytes(StandardCharsets.UTF_8));
                break;
            default: // CLASS_COUNT
                Files.createDirectories(train.resolve("unicorn"));
                Files.write(train.resolve("unicorn/0000.jpg"), good);
        }
    }

    /** The first 200 train and 50 t10k images of Fashion-MNIST as uncompressed IDX files, with the bad input. */
    private static void writeIdx(Bad bad, Path root) throws Exception {
        Files.createDirectories(root);
        int[] trainLabels = Arrays.copyOf(fashionTrainLabels, IDX_TRAIN);
        byte[] trainPixels = Arrays.copyOf(fashionTrain.pixels, IDX_TRAIN * 784);
        int[] testLabels = Arrays.copyOf(fashionTestLabels, IDX_TEST);
        if (bad == Bad.IDX_LABEL_OUT_OF_RANGE) trainLabels[7] = 10;
        if (bad == Bad.IDX_SIZE_DISAGREES) trainPixels = Arrays.copyOf(trainPixels, trainPixels.length - 392);
        if (bad == Bad.IDX_COUNTS_DISAGREE) testLabels = Arrays.copyOf(testLabels, IDX_TEST - 1);
        Fixtures.writeIdxImages(root.resolve("train-images-idx3-ubyte"), IDX_TRAIN, 28, 28, trainPixels);
        Fixtures.writeIdxLabels(root.resolve("train-labels-idx1-ubyte"), trainLabels);
        Fixtures.writeIdxImages(
                root.resolve("t10k-images-idx3-ubyte"),
                IDX_TEST,
                28,
                28,
                Arrays.copyOf(fashionTest.pixels, IDX_TEST * 784));
        Fixtures.writeIdxLabels(root.resolve("t10k-labels-idx1-ubyte"), testLabels);
    }

    private static void copyCifar(Path root) throws Exception {
        for (String c : CIFAR_CLASSES) {
            Path to = Files.createDirectories(root.resolve("train").resolve(c));
            for (String f : new String[] {"0000.jpg", "0001.jpg"})
                Files.copy(cifar.resolve("train").resolve(c).resolve(f), to.resolve(f));
        }
    }

    /** No table, no rejects table, no staging directory left behind. */
    private static void assertNothingWritten(Path dir) throws Exception {
        Path out = dir.resolve("out");
        if (!Files.exists(out)) return;
        try (Stream<Path> left = Files.list(out)) {
            List<String> names = left.map(p -> p.getFileName().toString()).collect(Collectors.toList());
            assertEquals(new ArrayList<String>(), names, "output directory should be empty");
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T read(boolean images, String part) throws Exception {
        Path f = Fixtures.FASHION.resolve(part + (images ? "-images-idx3-ubyte.gz" : "-labels-idx1-ubyte.gz"));
        try (InputStream in = Files.newInputStream(f)) {
            return (T) (images ? IdxFile.readImages(in, f.toString()) : IdxFile.readLabels(in, f.toString()));
        }
    }
}
