package io.mlh.bench.accuracy;

import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.IdxFile;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The derived multi-label set (no real multi-label image set is at hand): 2x2 mosaics of real
 * Fashion-MNIST tiles, 56 x 56 grayscale PNGs, labelled with the set of their tiles' classes, written
 * as deep-hashing list files ({@code test.txt}, {@code database.txt}, {@code train.txt}) the way
 * MS-COCO comes. Each mosaic draws 1, 2 or 3 distinct classes (probabilities 0.3 / 0.5 / 0.2), gives
 * each of them a tile and fills the rest from the same classes, so two mosaics share a class about as
 * often as two COCO images share an object. Queries are built from the test file's tiles, the database
 * from the training file's: no tile is in both. Deterministic given the seed.
 */
public final class MosaicSet {
    public static final int QUERIES = 1_000, DATABASE = 25_000, TRAIN = 5_000, CLASSES = 10, TILE = 28;
    private static final String COMPLETE = "_COMPLETE";

    private MosaicSet() {}

    /** Writes the benchmark's set under {@code dir} unless a complete one is there; returns {@code dir}. */
    public static Path write(Path dir, long seed) throws IOException {
        return write(dir, seed, QUERIES, DATABASE, TRAIN);
    }

    /** Writes a set of the given sizes ({@code train <= database}) under {@code dir} unless a complete one is there. */
    static Path write(Path dir, long seed, int queryCount, int databaseCount, int trainCount) throws IOException {
        if (trainCount > databaseCount)
            throw new IllegalArgumentException("train " + trainCount + " > database " + databaseCount);
        if (Files.exists(dir.resolve(COMPLETE))) return dir;
        Random r = new Random(seed);
        Tiles train = Tiles.load("train"), test = Tiles.load("t10k");
        List<String> queries = mosaics(dir, "query", queryCount, test, r);
        List<String> database = mosaics(dir, "database", databaseCount, train, r);
        List<String> trainRows = new ArrayList<>(database);
        Collections.shuffle(trainRows, r);
        write(dir.resolve("test.txt"), queries);
        write(dir.resolve("database.txt"), database);
        write(dir.resolve("train.txt"), trainRows.subList(0, trainCount));
        Files.write(dir.resolve(COMPLETE), new byte[0]);
        return dir;
    }

    /** Writes n mosaics as PNGs under dir/split and returns their list-file lines. */
    private static List<String> mosaics(Path dir, String split, int n, Tiles tiles, Random r) throws IOException {
        Files.createDirectories(dir.resolve(split));
        List<String> lines = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Integer> classes = distinctClasses(r);
            int[] tileClass = new int[4];
            for (int t = 0; t < 4; t++)
                tileClass[t] = t < classes.size() ? classes.get(t) : classes.get(r.nextInt(classes.size()));
            shuffle(tileClass, r);
            BufferedImage img = new BufferedImage(2 * TILE, 2 * TILE, BufferedImage.TYPE_BYTE_GRAY);
            for (int t = 0; t < 4; t++) tiles.draw(tileClass[t], r, img, (t % 2) * TILE, (t / 2) * TILE);
            String name = split + "/" + String.format("%05d.png", i);
            ImageIO.write(img, "png", dir.resolve(name).toFile());
            StringBuilder line = new StringBuilder(name);
            for (int c = 0; c < CLASSES; c++) line.append(classes.contains(c) ? " 1" : " 0");
            lines.add(line.toString());
        }
        return lines;
    }

    private static List<Integer> distinctClasses(Random r) {
        double u = r.nextDouble();
        int k = u < 0.3 ? 1 : u < 0.8 ? 2 : 3;
        List<Integer> all = new ArrayList<>();
        for (int c = 0; c < CLASSES; c++) all.add(c);
        Collections.shuffle(all, r);
        return new ArrayList<>(all.subList(0, k));
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.write(file, lines, StandardCharsets.US_ASCII);
    }

    /** One Fashion-MNIST file's images, indexed by class. */
    private static final class Tiles {
        final IdxFile.Images images;
        final List<List<Integer>> byClass = new ArrayList<>();

        Tiles(IdxFile.Images images, int[] labels) {
            this.images = images;
            for (int c = 0; c < CLASSES; c++) byClass.add(new ArrayList<>());
            for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);
        }

        static Tiles load(String prefix) throws IOException {
            Path images = FashionMnist.DIR.resolve(prefix + "-images-idx3-ubyte.gz");
            Path labels = FashionMnist.DIR.resolve(prefix + "-labels-idx1-ubyte.gz");
            if (!Files.exists(images)) throw new IOException("Fashion-MNIST is not at " + FashionMnist.DIR);
            try (InputStream i = Files.newInputStream(images);
                    InputStream l = Files.newInputStream(labels)) {
                return new Tiles(IdxFile.readImages(i, images.toString()), IdxFile.readLabels(l, labels.toString()));
            }
        }

        /** Copies a random tile of class c into img at (x, y). */
        void draw(int c, Random r, BufferedImage img, int x, int y) {
            List<Integer> pool = byClass.get(c);
            int index = pool.get(r.nextInt(pool.size())), size = images.rows * images.cols;
            for (int row = 0; row < images.rows; row++) {
                for (int col = 0; col < images.cols; col++) {
                    int v = images.pixels[index * size + row * images.cols + col] & 0xff;
                    img.getRaster().setSample(x + col, y + row, 0, v);
                }
            }
        }
    }
}
