package io.mlh.bench.accuracy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.IdxFile;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The derived multi-label set, checked against the real Fashion-MNIST files it is cut from: every
 * quadrant of every mosaic is a real tile of one of the mosaic's labelled classes, every labelled
 * class has a tile, queries come from the test file and the database from the training file.
 */
class MosaicSetTest {
    private static final int QUERIES = 30, DATABASE = 60, TRAIN = 20;
    /** Tile pixels -> the classes (bit set) Fashion-MNIST gives that exact image, per source file. */
    private static Map<ByteBuffer, Integer> trainTiles, testTiles;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadTiles() throws IOException {
        trainTiles = tiles("train");
        testTiles = tiles("t10k");
    }

    @Test
    void listFilesAndLabelsMatchTheTilesDrawn() throws IOException {
        Path set = MosaicSet.write(dir.resolve("a"), 42, QUERIES, DATABASE, TRAIN);
        List<String> queries = lines(set, "test.txt"),
                database = lines(set, "database.txt"),
                train = lines(set, "train.txt");
        assertEquals(QUERIES, queries.size());
        assertEquals(DATABASE, database.size());
        assertEquals(TRAIN, train.size());
        assertTrue(new HashSet<>(database).containsAll(train), "training mosaics come from the database");
        assertEquals(TRAIN, new HashSet<>(train).size());

        int[] classCounts = new int[4];
        for (String line : queries) classCounts[check(set, line, testTiles)]++;
        for (String line : database) classCounts[check(set, line, trainTiles)]++;
        // 1, 2 or 3 classes a mosaic, each kind present in 90 draws (expected 27 / 45 / 18)
        assertEquals(0, classCounts[0]);
        for (int k = 1; k <= 3; k++) assertTrue(classCounts[k] > 0, k + " classes never drawn");
    }

    @Test
    void theSameSeedGivesTheSameSetAndAnotherSeedAnother() throws IOException {
        Path a = MosaicSet.write(dir.resolve("a"), 42, QUERIES, DATABASE, TRAIN);
        Path b = MosaicSet.write(dir.resolve("b"), 42, QUERIES, DATABASE, TRAIN);
        Path c = MosaicSet.write(dir.resolve("c"), 43, QUERIES, DATABASE, TRAIN);
        for (String list : new String[] {"test.txt", "database.txt", "train.txt"}) {
            assertEquals(lines(a, list), lines(b, list));
            assertNotEquals(lines(a, list), lines(c, list));
        }
        assertArrayEquals(
                Files.readAllBytes(a.resolve("query/00007.png")), Files.readAllBytes(b.resolve("query/00007.png")));
    }

    @Test
    void aCompleteSetIsNotWrittenAgain() throws IOException {
        Path a = MosaicSet.write(dir.resolve("a"), 42, QUERIES, DATABASE, TRAIN);
        Files.delete(a.resolve("database/00003.png"));
        MosaicSet.write(a, 7, QUERIES, DATABASE, TRAIN);
        assertTrue(!Files.exists(a.resolve("database/00003.png")), "a complete set was rewritten");
    }

    /** Checks one list-file line against its PNG; returns the number of classes it is labelled with. */
    private static int check(Path set, String line, Map<ByteBuffer, Integer> source) throws IOException {
        String[] f = line.split(" ");
        assertEquals(1 + MosaicSet.CLASSES, f.length, line);
        int labels = 0;
        for (int c = 0; c < MosaicSet.CLASSES; c++) if (f[1 + c].equals("1")) labels |= 1 << c;
        BufferedImage img = ImageIO.read(set.resolve(f[0]).toFile());
        assertEquals(2 * MosaicSet.TILE, img.getWidth());
        assertEquals(2 * MosaicSet.TILE, img.getHeight());
        int covered = 0;
        for (int t = 0; t < 4; t++) {
            Integer classes = source.get(tile(img.getRaster(), (t % 2) * MosaicSet.TILE, (t / 2) * MosaicSet.TILE));
            assertTrue(classes != null, f[0] + " quadrant " + t + " is not a tile of the file it should come from");
            int shared = classes & labels;
            assertTrue(shared != 0, f[0] + " quadrant " + t + " shows a class the labels do not name");
            covered |= shared;
        }
        assertEquals(labels, covered, f[0] + ": a labelled class has no tile");
        return Integer.bitCount(labels);
    }

    private static ByteBuffer tile(Raster raster, int x, int y) {
        byte[] px = new byte[MosaicSet.TILE * MosaicSet.TILE];
        for (int row = 0; row < MosaicSet.TILE; row++) {
            for (int col = 0; col < MosaicSet.TILE; col++)
                px[row * MosaicSet.TILE + col] = (byte) raster.getSample(x + col, y + row, 0);
        }
        return ByteBuffer.wrap(px);
    }

    private static Map<ByteBuffer, Integer> tiles(String prefix) throws IOException {
        Path images = FashionMnist.DIR.resolve(prefix + "-images-idx3-ubyte.gz"),
                labels = FashionMnist.DIR.resolve(prefix + "-labels-idx1-ubyte.gz");
        try (InputStream i = Files.newInputStream(images);
                InputStream l = Files.newInputStream(labels)) {
            IdxFile.Images imgs = IdxFile.readImages(i, images.toString());
            int[] classes = IdxFile.readLabels(l, labels.toString());
            int size = imgs.rows * imgs.cols;
            Map<ByteBuffer, Integer> out = new HashMap<>();
            for (int n = 0; n < imgs.count; n++) {
                out.merge(ByteBuffer.wrap(imgs.pixels, n * size, size).slice(), 1 << classes[n], (a, b) -> a | b);
            }
            return out;
        }
    }

    private static List<String> lines(Path set, String name) throws IOException {
        return Files.readAllLines(set.resolve(name), StandardCharsets.US_ASCII);
    }
}
