package io.mlh.jobs.shard;

import static io.mlh.jobs.shard.Fixtures.CIFAR_CLASSES;
import static io.mlh.jobs.shard.Fixtures.FASHION;
import static io.mlh.jobs.shard.Fixtures.line;
import static io.mlh.jobs.shard.Fixtures.oneHot;
import static io.mlh.jobs.shard.Fixtures.parts;
import static io.mlh.jobs.shard.Fixtures.settings;
import static io.mlh.jobs.shard.Fixtures.table;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.hash;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.data.IdxFile;
import io.mlh.core.data.RetrievalSplit;
import io.mlh.jobs.tables.ShardTable;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shard job on real data: all of Fashion-MNIST from IDX files, and real CIFAR-10 JPEGs as image folders and list files. */
class ShardJobTest {
    private static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = Fixtures.spark();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void fashionMnistIdxWithDefaults() throws Exception {
        for (String part : new String[] {"train", "t10k"}) {
            for (String kind : new String[] {"images-idx3", "labels-idx1"}) {
                Path f = FASHION.resolve(part + "-" + kind + "-ubyte.gz");
                assertTrue(
                        Files.isRegularFile(f),
                        f + " is missing: apt-get install -y dataset-fashion-mnist (make data)");
            }
        }
        String a = dir.resolve("fashion-a").toString(),
                b = dir.resolve("fashion-b").toString();
        ShardJob.Result r = ShardJob.run(spark, settings("paths.shards=" + a));
        assertEquals(1000, r.queries);
        assertEquals(69000, r.database);
        assertEquals(0, r.trainOnly);
        assertEquals(5000, r.trainFlagged);
        assertEquals(0, r.rejects);
        assertTrue(Files.exists(dir.resolve("fashion-a/_MLH_COMMITTED"))
                && Files.exists(dir.resolve("fashion-a-rejects/_MLH_COMMITTED")));
        assertEquals(0, Fixtures.rejects(spark, a).size());

        // 8 files of 8,750 rows, each sorted by id, together every id once
        List<Path> files = parts(dir.resolve("fashion-a"));
        assertEquals(8, files.size());
        boolean[] seen = new boolean[70000];
        for (Path f : files) {
            List<Long> ids = table(spark, f.toString())
                    .select("id")
                    .as(org.apache.spark.sql.Encoders.LONG())
                    .collectAsList();
            assertEquals(8750, ids.size(), "rows in " + f.getFileName());
            for (int i = 0; i < ids.size(); i++) {
                if (i > 0) assertTrue(ids.get(i - 1) < ids.get(i), f.getFileName() + " is not sorted by id");
                seen[(int) (long) ids.get(i)] = true;
            }
        }
        for (int i = 0; i < seen.length; i++) assertTrue(seen[i], "id " + i + " is missing");

        // the split is the retrieval protocol's, over the train records then the t10k records
        int[] labels = concat(labels("train"), labels("t10k"));
        float[][] y = new float[labels.length][10];
        for (int i = 0; i < labels.length; i++) y[i][labels[i]] = 1;
        RetrievalSplit expected = RetrievalSplit.of(y, 100, 500, 42);
        String[] split = new String[70000];
        boolean[] train = new boolean[70000];
        for (Row row :
                table(spark, a).select("id", "split", ShardTable.TRAINING).collectAsList()) {
            split[(int) row.getLong(0)] = row.getString(1);
            train[(int) row.getLong(0)] = row.getBoolean(2);
        }
        for (int i : expected.query) assertEquals("query", split[i], "record " + i);
        for (int i : expected.train)
            assertTrue(train[i] && "database".equals(split[i]), "record " + i + " should be a training database row");
        assertEquals(69000, Arrays.stream(split).filter("database"::equals).count());

        // a few records against the IDX files themselves
        IdxFile.Images trainImages = images("train"), testImages = images("t10k");
        List<Row> some = table(spark, a)
                .where(col("id").isin(0L, 1L, 12345L, 59999L, 60000L, 69999L))
                .orderBy("id")
                .collectAsList();
        assertEquals(6, some.size());
        for (Row row : some) {
            int id = (int) row.getLong(0);
            boolean t10k = id >= 60000;
            int index = t10k ? id - 60000 : id;
            IdxFile.Images from = t10k ? testImages : trainImages;
            assertArrayEquals(
                    Arrays.copyOfRange(from.pixels, index * 784, (index + 1) * 784),
                    (byte[]) row.getAs("image"),
                    "pixels of record " + id);
            assertArrayEquals(oneHot(labels[id], 10), Fixtures.ints(row.getList(3)), "labels of record " + id);
            assertEquals(
                    Arrays.asList("raw", 28, 28, 1),
                    Arrays.asList(row.getAs("format"), row.getAs("height"), row.getAs("width"), row.getAs("channels")));
            assertTrue(
                    row.<String>getAs("source").endsWith((t10k ? "t10k" : "train") + "-images-idx3-ubyte.gz#" + index),
                    row.<String>getAs("source"));
        }

        // same seed, same files; an existing output is refused
        ShardJob.run(spark, settings("paths.shards=" + b));
        List<Path> again = parts(dir.resolve("fashion-b"));
        for (int k = 0; k < 8; k++)
            assertEquals(fingerprint(files.get(k)), fingerprint(again.get(k)), "shard file " + k);
        IOException exists = assertThrows(IOException.class, () -> ShardJob.run(spark, settings("paths.shards=" + b)));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
    }

    @Test
    void cifarImageFolders() throws Exception {
        Path root = Fixtures.cifar(dir.resolve("folder"), "00[0-2]?.jpg"); // 30 real JPEGs a class
        Path cat = root.resolve("train/cat");
        BufferedImage img = ImageIO.read(cat.resolve("0000.jpg").toFile());
        ImageIO.write(img, "png", cat.resolve("0030.png").toFile());
        ImageIO.write(img, "png", cat.resolve("0031.jpg").toFile()); // a PNG under a JPEG name (ImageNet has one)
        String out = dir.resolve("folder-shards").toString();
        ShardJob.Result r = ShardJob.run(
                spark,
                settings(
                        "data.source=folder",
                        "data.root=" + root,
                        "data.queries-per-class=5",
                        "data.train-per-class=10",
                        "data.shards=3",
                        "paths.shards=" + out));
        assertEquals(50, r.queries);
        assertEquals(252, r.database);
        assertEquals(100, r.trainFlagged);
        assertEquals(0, r.trainOnly + r.rejects);
        List<Long> sizes = parts(dir.resolve("folder-shards")).stream()
                .map(f -> table(spark, f.toString()).count())
                .collect(Collectors.toList());
        assertEquals(Arrays.asList(101L, 101L, 100L), sizes);

        // catalogue order is class (sorted directory names), then file name; labels follow the class
        List<Row> rows = table(spark, out).orderBy("id").collectAsList();
        List<Path> expected = new ArrayList<>();
        for (String c : CIFAR_CLASSES) {
            try (Stream<Path> files = Files.list(root.resolve("train").resolve(c))) {
                files.sorted().forEach(expected::add);
            }
        }
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            Path file = expected.get(i);
            assertEquals(i, row.getLong(0));
            assertTrue(
                    row.<String>getAs("source").endsWith(root.relativize(file).toString()),
                    row.<String>getAs("source"));
            int c = Arrays.asList(CIFAR_CLASSES)
                    .indexOf(file.getParent().getFileName().toString());
            assertArrayEquals(oneHot(c, 10), Fixtures.ints(row.getList(3)), "labels of " + file);
            assertArrayEquals(Files.readAllBytes(file), (byte[]) row.getAs("image"));
            boolean png = file.getFileName().toString().startsWith("003");
            assertEquals(png ? "png" : "jpeg", row.<String>getAs("format"), file.toString());
            assertEquals(
                    Arrays.asList(32, 32, 3),
                    Arrays.asList(row.getAs("height"), row.getAs("width"), row.getAs("channels")));
        }
    }

    /** {@code data.shard-size}: as many files as the images' bytes need, estimated from a sample of them. */
    @Test
    void shardFilesSizedByBytes() throws Exception {
        Path root = Fixtures.cifar(dir.resolve("sized"), "00[0-2]?.jpg"); // 300 real JPEGs of varying size
        long bytes = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) bytes += Files.size(f);
        }
        long target = (long) (bytes / 2.5); // 2.5 files' worth: the sampled estimate rounds up to 3
        String out = dir.resolve("sized-shards").toString();
        ShardJob.run(
                spark,
                settings(
                        "data.source=folder",
                        "data.root=" + root,
                        "data.queries-per-class=5",
                        "data.train-per-class=10",
                        "data.shards=8",
                        "data.shard-size=" + target,
                        "paths.shards=" + out));
        List<Path> parts = parts(dir.resolve("sized-shards"));
        assertEquals(3, parts.size(), "files for " + bytes + " bytes of images at " + target + " a file");
        for (Path part : parts) {
            long imageBytes = 0;
            for (Row r : table(spark, part.toString()).select("image").collectAsList())
                imageBytes += ((byte[]) r.get(0)).length;
            assertTrue(
                    imageBytes <= target * 1.1,
                    part + " holds " + imageBytes + " bytes of images, the target is " + target);
        }

        // IDX records: rows x cols raw bytes each, from the header
        Path idx = Files.createDirectories(dir.resolve("sized-idx"));
        int[] labels = new int[20];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 10;
        for (String part : new String[] {"train", "t10k"}) {
            Fixtures.writeIdxImages(idx.resolve(part + "-images-idx3-ubyte"), 20, 4, 4, new byte[20 * 16]);
            Fixtures.writeIdxLabels(idx.resolve(part + "-labels-idx1-ubyte"), labels);
        }
        ShardJob.run(
                spark,
                settings(
                        "data.source=idx",
                        "data.root=" + idx,
                        "data.queries-per-class=1",
                        "data.train-per-class=1",
                        "data.shard-size=160",
                        "paths.shards=" + dir.resolve("sized-idx-shards")));
        assertEquals(4, parts(dir.resolve("sized-idx-shards")).size(), "40 records of 16 bytes at 160 bytes a file");
    }

    /** {@code folder-split = "train,test"} pools both splits, class by class, as protocol cifar10-1 does. */
    @Test
    void severalFolderSplitsArePooled() throws Exception {
        Path root = trainAndTest("pooled");
        String out = dir.resolve("pooled-shards").toString();
        ShardJob.Result r = ShardJob.run(
                spark,
                settings(
                        "data.source=folder",
                        "data.root=" + root,
                        "data.folder-split=train, test",
                        "data.queries-per-class=2",
                        "data.train-per-class=4",
                        "data.shards=2",
                        "paths.shards=" + out));
        assertEquals(20, r.queries);
        assertEquals(110, r.database);
        List<Row> rows = table(spark, out).orderBy("id").collectAsList();
        // class 0 (airplane): its 10 train files, then its 3 test files; then class 1
        assertTrue(
                rows.get(9).<String>getAs("source").endsWith("train/airplane/0009.jpg"),
                rows.get(9).<String>getAs("source"));
        assertTrue(
                rows.get(10).<String>getAs("source").endsWith("test/airplane/t0.jpg"),
                rows.get(10).<String>getAs("source"));
        assertTrue(
                rows.get(13).<String>getAs("source").endsWith("train/automobile/0000.jpg"),
                rows.get(13).<String>getAs("source"));

        Files.move(root.resolve("test/truck"), root.resolve("test/lorry"));
        Exception e = assertThrows(
                Exception.class,
                () -> ShardJob.run(
                        spark,
                        settings(
                                "data.source=folder",
                                "data.root=" + root,
                                "data.folder-split=train,test",
                                "paths.shards=" + dir.resolve("pooled-bad"))));
        assertTrue(e.getMessage().contains("lorry") && e.getMessage().contains("truck"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("pooled-bad")));
    }

    /**
     * {@code query-folder = test} (protocol cifar10-2): every test image is a query, in id order first; the
     * train folder is the database, all of it training images at {@code train-per-class} = its class size.
     */
    @Test
    void queryFolderHoldsEveryQuery() throws Exception {
        Path root = trainAndTest("given");
        List<String> args = new ArrayList<>(Arrays.asList(
                "data.source=folder",
                "data.root=" + root,
                "data.folder-split=train",
                "data.query-folder=test",
                "data.train-per-class=10",
                "data.shards=2",
                "paths.shards=" + dir.resolve("given-shards")));
        ShardJob.Result r = ShardJob.run(spark, settings(args));
        assertEquals(30, r.queries);
        assertEquals(100, r.database);
        assertEquals(100, r.trainFlagged);
        List<Row> rows = table(spark, dir.resolve("given-shards").toString())
                .orderBy("id")
                .collectAsList();
        assertEquals(130, rows.size());
        for (int id = 0; id < rows.size(); id++) {
            Row row = rows.get(id);
            String source = row.getAs("source");
            boolean query = id < 30;
            assertEquals(query ? "query" : "database", row.<String>getAs("split"), source);
            assertEquals(!query, row.<Boolean>getAs(ShardTable.TRAINING), source);
            String c = CIFAR_CLASSES[query ? id / 3 : (id - 30) / 10]; // class by class in both parts
            assertTrue(source.contains((query ? "/test/" : "/train/") + c + "/"), id + ": " + source);
        }

        // fewer training images in a class than train-per-class asks for: the class and the counts named
        args.set(4, "data.train-per-class=11");
        args.set(6, "paths.shards=" + dir.resolve("given-short"));
        Exception short_ = assertThrows(Exception.class, () -> ShardJob.run(spark, settings(args)));
        assertTrue(short_.getMessage().contains("has 10 images, fewer than 0 queries + 11"), short_.getMessage());
        // a query folder whose classes differ from the database's
        Files.move(root.resolve("test/truck"), root.resolve("test/lorry"));
        args.set(4, "data.train-per-class=10");
        Exception renamed = assertThrows(Exception.class, () -> ShardJob.run(spark, settings(args)));
        assertTrue(
                renamed.getMessage().contains("lorry") && renamed.getMessage().contains("truck"), renamed.getMessage());
        assertFalse(Files.exists(dir.resolve("given-short")));
    }

    /** Real CIFAR-10 JPEGs under {@code dir/name}: train/ with 10 a class, test/ with 3 of them a class under other names. */
    private static Path trainAndTest(String name) throws Exception {
        Path root = Fixtures.cifar(dir.resolve(name), "000?.jpg");
        for (String c : CIFAR_CLASSES) {
            Files.createDirectories(root.resolve("test").resolve(c));
            for (int i = 0; i < 3; i++) {
                Files.copy(
                        root.resolve("train").resolve(c).resolve("000" + i + ".jpg"),
                        root.resolve("test").resolve(c).resolve("t" + i + ".jpg"));
            }
        }
        return root;
    }

    @Test
    void cifarListFilesWithMultiHotLabels() throws Exception {
        Path root = Fixtures.cifar(dir.resolve("list"), "00[0-2]?.jpg");
        Path lists = dir.resolve("lists");
        // per class: files 0-2 queries, 3-26 database (3-7 also in train.txt), 27-29 only in train.txt
        List<String> test = new ArrayList<>(), database = new ArrayList<>(), train = new ArrayList<>();
        List<int[]> expectedLabels = new ArrayList<>(Arrays.asList(new int[300][]));
        List<String> order = new ArrayList<>(Arrays.asList(new String[300]));
        int q = 0, d = 30, t = 270;
        for (int c = 0; c < 10; c++) {
            for (int i = 0; i < 30; i++) {
                String path = String.format("train/%s/%04d.jpg", CIFAR_CLASSES[c], i);
                int[] y = oneHot(c, 10);
                if (i % 2 == 1) y[(c + 1 + i) % 10] = 1; // a second label on odd files: multi-hot
                String line = line(path, y);
                int id = i < 3 ? q++ : i < 27 ? d++ : t++;
                (i < 3 ? test : i < 27 ? database : train).add(line);
                if (i >= 3 && i < 8) train.add(line);
                expectedLabels.set(id, y);
                order.set(id, path);
            }
        }
        database.add(""); // blank lines are not records
        Fixtures.writeLines(lists.resolve("test.txt"), test);
        Fixtures.writeLines(lists.resolve("database.txt"), database);
        Fixtures.writeLines(lists.resolve("train.txt"), train);
        String out = dir.resolve("list-shards").toString();
        ShardJob.Result r = ShardJob.run(
                spark,
                settings(
                        "data.source=list",
                        "data.root=" + root,
                        "data.list-dir=" + lists,
                        "data.shards=4",
                        "paths.shards=" + out));
        assertEquals(
                Arrays.asList(30L, 240L, 30L, 80L, 0L),
                Arrays.asList(r.queries, r.database, r.trainOnly, r.trainFlagged, r.rejects));

        List<Row> rows = table(spark, out).orderBy("id").collectAsList();
        assertEquals(300, rows.size());
        for (int id = 0; id < 300; id++) {
            Row row = rows.get(id);
            String path = order.get(id);
            int i = Integer.parseInt(path.substring(path.length() - 8, path.length() - 4));
            assertEquals(id, row.getLong(0));
            assertEquals(i < 3 ? "query" : i < 27 ? "database" : "train", row.getString(1), path);
            assertEquals(i >= 3 && i < 8 || i >= 27, row.getBoolean(2), path);
            assertArrayEquals(expectedLabels.get(id), Fixtures.ints(row.getList(3)), path);
            assertTrue(row.<String>getAs("source").endsWith(path), row.<String>getAs("source"));
            assertArrayEquals(Files.readAllBytes(root.resolve(path)), (byte[]) row.getAs("image"), path);
        }
    }

    /** A shard file's rows without their bytes: id, split, train, labels and a hash of the image. */
    private static List<String> fingerprint(Path file) {
        return table(spark, file.toString())
                .select(
                        col("id"),
                        col("split"),
                        col(ShardTable.TRAINING),
                        col("labels"),
                        hash(col("image")),
                        col("source"))
                .collectAsList()
                .stream()
                .map(Row::toString)
                .collect(Collectors.toList());
    }

    private static IdxFile.Images images(String part) throws IOException {
        Path f = FASHION.resolve(part + "-images-idx3-ubyte.gz");
        try (InputStream in = Files.newInputStream(f)) {
            return IdxFile.readImages(in, f.toString());
        }
    }

    private static int[] labels(String part) throws IOException {
        Path f = FASHION.resolve(part + "-labels-idx1-ubyte.gz");
        try (InputStream in = Files.newInputStream(f)) {
            return IdxFile.readLabels(in, f.toString());
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
