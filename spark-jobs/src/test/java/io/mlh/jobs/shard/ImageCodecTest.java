package io.mlh.jobs.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.cluster.CifarSubset;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BigDL's OpenCV decoding against the JDK's own JPEG decoder, on a real CIFAR-10 image. */
class ImageCodecTest {
    private static final float[] ZERO = {0, 0, 0}, ONE = {1, 1, 1};

    @Test
    void decodesJpegToRgbChwAndResizes(@TempDir Path dir) throws Exception {
        Path jpg = CifarSubset.extract(dir, "0000.jpg").resolve("cifar10/train/cat/0000.jpg");
        byte[] bytes = Files.readAllBytes(jpg);
        float[] chw = ImageCodec.toTensorData("jpeg", bytes, 32, 32, 3, 32, 3, ZERO, ONE);
        BufferedImage ref = ImageIO.read(new ByteArrayInputStream(bytes));
        double err = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb = ref.getRGB(x, y);
                int[] c = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
                for (int k = 0; k < 3; k++) err = Math.max(err, Math.abs(chw[k * 1024 + y * 32 + x] * 255 - c[k]));
            }
        }
        assertTrue(err <= 8, "OpenCV and ImageIO disagree by " + err + " levels: wrong channel order or layout");

        float[] big = ImageCodec.toTensorData("jpeg", bytes, 32, 32, 3, 64, 3, ZERO, ONE);
        assertEquals(3 * 64 * 64, big.length);
        float[] gray = ImageCodec.toTensorData("jpeg", bytes, 32, 32, 3, 32, 1, new float[] {0.5f}, new float[] {0.25f});
        assertEquals(1024, gray.length);

        byte[] truncated = Arrays.copyOf(bytes, 20);
        assertThrows(IllegalArgumentException.class, () -> ImageCodec.toTensorData("jpeg", truncated, 32, 32, 3, 32, 3, ZERO, ONE));
        assertThrows(IllegalArgumentException.class, () -> ImageCodec.toTensorData("gif", bytes, 32, 32, 3, 32, 3, ZERO, ONE));
    }

    @Test
    void rawPixelsPassStraightThrough() {
        byte[] px = new byte[28 * 28];
        px[5] = (byte) 255;
        float[] t = ImageCodec.toTensorData("raw", px, 28, 28, 1, 28, 1, new float[] {0.5f}, new float[] {0.5f});
        assertEquals(1f, t[5], 1e-6);
        assertEquals(-1f, t[0], 1e-6);
        float[] up = ImageCodec.toTensorData("raw", px, 28, 28, 1, 32, 1, new float[] {0f}, new float[] {1f});
        assertEquals(32 * 32, up.length);
    }
}
