package io.mlh.jobs.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.shard.Fixtures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** ImageCodec: BigDL's OpenCV decoding against the JDK's own decoders, on real CIFAR-10 JPEGs and exact PNGs. */
class ImageCodecTest {
    private static final float[] ZERO = {0, 0, 0}, ONE = {1, 1, 1};

    @TempDir
    static Path dir;

    private static byte[] jpeg;

    @BeforeAll
    static void unpack() throws Exception {
        jpeg = Files.readAllBytes(Fixtures.cifar(dir, "0000.jpg").resolve("train/cat/0000.jpg"));
    }

    @Test
    void decodesJpegToRgbChw() throws Exception {
        float[] chw = ImageCodec.toTensorData("jpeg", jpeg, 32, 32, 3, 32, 3, ZERO, ONE);
        assertEquals(3 * 32 * 32, chw.length);
        BufferedImage ref = ImageIO.read(new ByteArrayInputStream(jpeg));
        double err = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int[] rgb = rgb(ref, x, y);
                for (int k = 0; k < 3; k++) err = Math.max(err, Math.abs(chw[k * 1024 + y * 32 + x] * 255 - rgb[k]));
            }
        }
        assertTrue(err <= 8, "OpenCV and ImageIO disagree by " + err + " levels: wrong channel order or layout");

        // one known pixel, standardised: (v / 255 - mean) / std in channel order R, G, B
        float[] mean = {0.4914f, 0.4822f, 0.4465f}, std = {0.2470f, 0.2435f, 0.2616f};
        float[] norm = ImageCodec.toTensorData("jpeg", jpeg, 32, 32, 3, 32, 3, mean, std);
        int[] known = rgb(ref, 20, 11);
        for (int k = 0; k < 3; k++) {
            float expected = (known[k] / 255f - mean[k]) / std[k];
            assertEquals(
                    expected, norm[k * 1024 + 11 * 32 + 20], 3 / 255f / std[k], "channel " + k + " of pixel (11, 20)");
        }
        assertEquals("32x32x3", ImageCodec.inspect("jpeg", jpeg).toString());
    }

    @Test
    void pngIsExactAndRgbOrdered() throws Exception {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        int[] colours = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x804020};
        for (int i = 0; i < 6; i++) img.setRGB(i % 3, i / 3, colours[i]);
        byte[] png = encode(img, "png");
        assertEquals("png", ImageCodec.sniff(png));
        ImageCodec.Shape shape = ImageCodec.inspect("png", png);
        assertEquals(Arrays.asList(2, 3, 3), Arrays.asList(shape.height, shape.width, shape.channels));
        // a non-square image is resized to the square input; keep it square here to compare exactly
        BufferedImage square = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        square.setRGB(0, 0, 0xff0000);
        square.setRGB(1, 0, 0x00ff00);
        square.setRGB(0, 1, 0x0000ff);
        square.setRGB(1, 1, 0x804020);
        float[] t = ImageCodec.toTensorData("png", encode(square, "png"), 2, 2, 3, 2, 3, ZERO, ONE);
        assertArrayEquals(new float[] {1, 0, 0, 0x80 / 255f, 0, 1, 0, 0x40 / 255f, 0, 0, 1, 0x20 / 255f}, t, 1e-6f);
        float[] grey =
                ImageCodec.toTensorData("png", encode(square, "png"), 2, 2, 3, 2, 1, new float[] {0}, new float[] {1});
        assertEquals(0.299f, grey[0], 1.5f / 255); // red through OpenCV's BGR->grey weights
        assertEquals(0.114f, grey[2], 1.5f / 255);
    }

    @Test
    void aRegionIsCutFromTheImageBeforeResizing() throws Exception {
        // an 8 x 6 grey PNG whose every pixel says where it is: value = 10 * row + column
        BufferedImage img = new BufferedImage(8, 6, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 8; x++) img.getRaster().setSample(x, y, 0, 10 * y + x);
        byte[] png = encode(img, "png");
        ImageCodec.Region centre = ImageCodec.Region.centre(6, 8, 0.5);
        assertEquals("3x3 at (2, 1)", centre.toString());
        float[] t = ImageCodec.toTensorData("png", png, 6, 8, 1, 3, 1, new float[] {0}, new float[] {1 / 255f}, centre);
        assertArrayEquals(new float[] {12, 13, 14, 22, 23, 24, 32, 33, 34}, t, 1e-4f);
        float[] corner = ImageCodec.toTensorData(
                "png", png, 6, 8, 1, 2, 1, new float[] {0}, new float[] {1 / 255f}, new ImageCodec.Region(6, 4, 2, 2));
        assertArrayEquals(new float[] {46, 47, 56, 57}, corner, 1e-4f);
        // resized after the cut: a 2 x 2 crop shrunk to one pixel averages the crop's four
        float[] one = ImageCodec.toTensorData(
                "png", png, 6, 8, 1, 1, 1, new float[] {0}, new float[] {1 / 255f}, new ImageCodec.Region(0, 0, 2, 2));
        assertEquals(5.5f, one[0], 0.51f);
        assertNull(ImageCodec.Region.centre(6, 8, 0), "fraction 0: the whole image");
        reason(
                "crop 3x3 at (6, 1) does not fit the 6x8 image",
                () -> ImageCodec.toTensorData("png", png, 6, 8, 1, 3, 1, ZERO, ONE, new ImageCodec.Region(6, 1, 3, 3)));
    }

    @Test
    void greyAndSixteenBitImages() throws Exception {
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(3, 2, 0, 200);
        byte[] greyPng = encode(grey, "png");
        assertEquals(1, ImageCodec.inspect("png", greyPng).channels);
        float[] asRgb = ImageCodec.toTensorData("png", greyPng, 8, 8, 1, 8, 3, ZERO, ONE);
        for (int k = 0; k < 3; k++) assertEquals(200 / 255f, asRgb[k * 64 + 2 * 8 + 3], 1e-6f);
        assertEquals(1, ImageCodec.inspect("jpeg", encode(grey, "jpg")).channels);

        BufferedImage deep = new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(1, 1, 0, 65535);
        deep.getRaster().setSample(2, 1, 0, 32896); // 128 * 257
        float[] t =
                ImageCodec.toTensorData("png", encode(deep, "png"), 4, 4, 1, 4, 1, new float[] {0}, new float[] {1});
        assertEquals(1f, t[5], 1e-6f);
        assertEquals(128 / 255f, t[6], 1e-6f);
    }

    @Test
    void resizes32To64() {
        float[] small = ImageCodec.toTensorData("jpeg", jpeg, 32, 32, 3, 32, 3, ZERO, ONE);
        float[] big = ImageCodec.toTensorData("jpeg", jpeg, 32, 32, 3, 64, 3, ZERO, ONE);
        assertEquals(3 * 64 * 64, big.length);
        for (int k = 0; k < 3; k++) {
            // bilinear doubling keeps each channel's mean and every 2x2 block near its source pixel
            double a = 0, b = 0, worst = 0;
            for (int p = 0; p < 1024; p++) a += small[k * 1024 + p] / 1024;
            for (int p = 0; p < 4096; p++) b += big[k * 4096 + p] / 4096;
            assertEquals(a, b, 0.01, "mean of channel " + k);
            for (int y = 1; y < 31; y++) {
                for (int x = 1; x < 31; x++) {
                    double block = (big[k * 4096 + 2 * y * 64 + 2 * x]
                                    + big[k * 4096 + 2 * y * 64 + 2 * x + 1]
                                    + big[k * 4096 + (2 * y + 1) * 64 + 2 * x]
                                    + big[k * 4096 + (2 * y + 1) * 64 + 2 * x + 1])
                            / 4;
                    worst = Math.max(worst, Math.abs(block - small[k * 1024 + y * 32 + x]));
                }
            }
            assertTrue(worst < 0.25, "a 2x2 block strays " + worst + " from its source pixel");
        }
        float[] down = ImageCodec.toTensorData("jpeg", jpeg, 32, 32, 3, 16, 3, ZERO, ONE);
        assertEquals(3 * 16 * 16, down.length);
    }

    @Test
    void rejectsBrokenImagesWithTheReason() {
        reason("truncated JPEG", () -> ImageCodec.inspect("jpeg", Arrays.copyOf(jpeg, jpeg.length / 2)));
        reason("truncated JPEG", () -> ImageCodec.inspect("jpeg", Arrays.copyOf(jpeg, 20)));
        reason(
                "truncated JPEG",
                () -> ImageCodec.toTensorData(
                        "jpeg", Arrays.copyOf(jpeg, jpeg.length - 2), 32, 32, 3, 32, 3, ZERO, ONE));
        byte[] garbled = jpeg.clone();
        Arrays.fill(garbled, 2, 40, (byte) 0);
        reason("corrupt JPEG", () -> ImageCodec.inspect("jpeg", garbled));
        reason("corrupt jpeg", () -> ImageCodec.inspect("jpeg", Fixtures.zeroHeight(jpeg)));
        byte[] text = "not an image at all".getBytes(StandardCharsets.UTF_8);
        assertNull(ImageCodec.sniff(text));
        reason("not a JPEG", () -> ImageCodec.inspect("jpeg", text));
        reason("not a PNG", () -> ImageCodec.inspect("png", jpeg));
        reason("unknown image format", () -> ImageCodec.toTensorData("gif", jpeg, 32, 32, 3, 32, 3, ZERO, ONE));
        reason("raw pixels", () -> ImageCodec.inspect("raw", new byte[4]));
        reason("decodes to 32x32", () -> ImageCodec.toTensorData("jpeg", jpeg, 28, 28, 3, 32, 3, ZERO, ONE));
    }

    @Test
    void progressiveJpegIsWholeUntilCut() throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(jpeg));
        javax.imageio.ImageWriter writer =
                ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
        }
        byte[] progressive = out.toByteArray();
        assertEquals(
                "32x32x3", ImageCodec.inspect("jpeg", progressive).toString()); // several scans, tables between them
        reason(
                "truncated JPEG",
                () -> ImageCodec.inspect("jpeg", Arrays.copyOf(progressive, progressive.length * 2 / 3)));
    }

    @Test
    void rejectsTruncatedPng() throws Exception {
        byte[] png = encode(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png");
        reason("truncated PNG", () -> ImageCodec.inspect("png", Arrays.copyOf(png, png.length - 6)));
        reason("truncated PNG", () -> ImageCodec.inspect("png", Arrays.copyOf(png, 12)));
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
        float[] rgb = ImageCodec.toTensorData("raw", px, 28, 28, 1, 28, 3, ZERO, ONE);
        assertEquals(1f, rgb[2 * 784 + 5], 1e-6);
        reason(
                "raw image has 10 bytes",
                () -> ImageCodec.toTensorData("raw", new byte[10], 28, 28, 1, 28, 1, ZERO, ONE));
    }

    private static void reason(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should say '" + expected + "'");
    }

    private static int[] rgb(BufferedImage img, int x, int y) {
        int v = img.getRGB(x, y);
        return new int[] {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
    }

    private static byte[] encode(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }
}
