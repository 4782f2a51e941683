package io.mlh.jobs.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.images.ImageCodec;
import io.mlh.jobs.shard.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The derived 224-px list-file sets: their layout and sizes, and what the codec makes of their odd images. */
class DerivedListSetTest {
    private static final float[] ZERO = {0, 0, 0}, ONE = {1, 1, 1};

    @Test
    void writesBothSetsWithVariedSizesAndTheOddImages(@TempDir Path dir) throws Exception {
        Path cifar = Fixtures.cifar(dir, "000[0-3].jpg");
        Path out = dir.resolve("derived");
        DerivedListSet set = new DerivedListSet(cifar, out, 1, 3, 2, 42);
        set.writeImageNetStyle(true);
        set.writeCocoStyle();

        Path imagenet = out.resolve("imagenet"), coco = out.resolve("coco");
        List<String> test = Files.readAllLines(imagenet.resolve("test.txt")),
                db = Files.readAllLines(imagenet.resolve("database.txt"));
        assertEquals(10, test.size());
        assertEquals(30 + 6, db.size(), "3 a class and the 6 odd images");
        assertEquals(20, Files.readAllLines(imagenet.resolve("train.txt")).size());
        assertTrue(
                db.containsAll(Files.readAllLines(imagenet.resolve("train.txt"))),
                "train.txt is a subset of database.txt");
        assertEquals("cat/0000.jpg 0 0 0 1 0 0 0 0 0 0", test.get(3), "path, then one-hot labels");
        for (String line : test) {
            ImageCodec.Shape s = ImageCodec.inspect("jpeg", Files.readAllBytes(imagenet.resolve(line.split(" ")[0])));
            assertTrue(s.width >= 160 && s.width <= 500 && s.height >= 160 && s.height <= 500, line + ": " + s);
            double aspect = (double) s.width / s.height;
            assertTrue(aspect > 0.74 && aspect < 1.35 || s.height == 160 || s.height == 500, line + ": " + s);
            assertEquals(3, s.channels);
        }
        List<String> mosaics = Files.readAllLines(coco.resolve("database.txt"));
        assertEquals(30, mosaics.size());
        int multi = 0;
        for (String line : mosaics) {
            String[] f = line.split(" ");
            assertEquals(11, f.length, line);
            int present = 0;
            for (int i = 1; i < f.length; i++) present += Integer.parseInt(f[i]);
            assertTrue(present >= 1 && present <= 4, line);
            if (present > 1) multi++;
        }
        assertTrue(multi > 20, "most mosaics hold several classes: " + multi + " of 30");

        // the odd images, as the codec sees them
        assertEquals(1, ImageCodec.inspect("jpeg", bytes(imagenet, DerivedListSet.GREY)).channels);
        assertEquals(
                "16x20x3",
                ImageCodec.inspect("jpeg", bytes(imagenet, DerivedListSet.TINY)).toString());
        ImageCodec.Shape cmyk = ImageCodec.inspect("jpeg", bytes(imagenet, DerivedListSet.CMYK));
        assertEquals("240x300x3", cmyk.toString(), "OpenCV turns a CMYK JPEG into colour");
        float[] fromCmyk =
                ImageCodec.toTensorData("jpeg", bytes(imagenet, DerivedListSet.CMYK), 240, 300, 3, 32, 3, ZERO, ONE);
        float[] fromPng =
                ImageCodec.toTensorData("png", bytes(imagenet, DerivedListSet.PNG), 240, 300, 3, 32, 3, ZERO, ONE);
        double diff = 0;
        for (int i = 0; i < fromPng.length; i++) diff += Math.abs(fromCmyk[i] - fromPng[i]);
        assertTrue(
                diff / fromPng.length < 0.05,
                "the CMYK JPEG decodes to the colours of the same image's PNG: mean difference "
                        + diff / fromPng.length);
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> ImageCodec.inspect("jpeg", bytes(imagenet, DerivedListSet.TRUNCATED)))
                .getMessage()
                .contains("truncated"));
        assertThrows(
                IllegalArgumentException.class,
                () -> ImageCodec.inspect("jpeg", bytes(imagenet, DerivedListSet.NOISE)));
    }

    private static byte[] bytes(Path root, String name) throws Exception {
        return Files.readAllBytes(root.resolve(name));
    }
}
