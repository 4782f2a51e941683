package io.mlh.jobs.images;

import com.intel.analytics.bigdl.opencv.OpenCV;
import com.intel.analytics.bigdl.transform.vision.image.opencv.OpenCVMat;
import com.intel.analytics.bigdl.transform.vision.image.opencv.OpenCVMat$;
import java.awt.image.BufferedImage;
import java.io.Serializable;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Rect;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Image bytes as stored in a shard table -> the network's input: decoded and resized with BigDL's
 * OpenCV binding, channels in RGB order, CHW layout, pixels on [0, 1] standardised per channel (and,
 * for the reports' galleries, a thumbnail of the same decoding).
 * Runs on the executors; every OpenCV matrix is released before returning. Bad images fail with an
 * {@link IllegalArgumentException} whose message is the reason (the shard job stores it as such).
 */
public final class ImageCodec {
    private ImageCodec() {}

    /** Formats a shard row may hold. */
    public static final String RAW = "raw", JPEG = "jpeg", PNG = "png";

    /** An image's stored shape: channels as decoded (1 grey, 3 colour, 4 with alpha). */
    public static final class Shape implements Serializable {
        private static final long serialVersionUID = 1L;
        public final int height, width, channels;

        public Shape(int height, int width, int channels) {
            this.height = height;
            this.width = width;
            this.channels = channels;
        }

        @Override
        public String toString() {
            return height + "x" + width + "x" + channels;
        }
    }

    /**
     * The part of a decoded image that becomes the network's input, in the image's pixels: a crop
     * (column {@code x}, row {@code y}, {@code width} x {@code height}) resized to the input size.
     */
    public static final class Region implements Serializable {
        private static final long serialVersionUID = 1L;
        public final int x, y, width, height;

        public Region(int x, int y, int width, int height) {
            if (x < 0 || y < 0 || width < 1 || height < 1) {
                throw new IllegalArgumentException(
                        "not a crop: " + width + "x" + height + " at (" + x + ", " + y + ")");
            }
            this.x = x;
            this.y = y;
            this.width = width;
            this.height = height;
        }

        /**
         * The centred square whose side is {@code fraction} of the image's shorter side (ImageNet's
         * validation framing at 0.875: resize the shorter side to 256, crop 224); {@code fraction} 0:
         * null, the whole image (resized to the input square whatever its aspect ratio).
         */
        public static Region centre(int height, int width, double fraction) {
            if (fraction == 0) return null;
            int side = Math.max(1, (int) Math.round(fraction * Math.min(height, width)));
            return new Region((width - side) / 2, (height - side) / 2, side, side);
        }

        @Override
        public String toString() {
            return width + "x" + height + " at (" + x + ", " + y + ")";
        }
    }

    /** {@link #toTensorData(String, byte[], int, int, int, int, int, float[], float[], Region)} of the whole image. */
    public static float[] toTensorData(
            String format,
            byte[] image,
            int height,
            int width,
            int channels,
            int size,
            int targetChannels,
            float[] mean,
            float[] std) {
        return toTensorData(format, image, height, width, channels, size, targetChannels, mean, std, null);
    }

    /**
     * @param format "raw" (uint8 pixels, HWC, RGB order) or an encoded format ("jpeg", "png")
     * @param height the stored height ({@code width}, {@code channels} likewise); for encoded images
     *               only checked against the decoded size
     * @param targetChannels 1 (grey) or 3 (RGB); raw pixels already of that shape pass with any count
     * @param mean per target channel, on [0, 1] ({@code std} likewise)
     * @param region the crop that becomes the input (it must lie inside the image); null: the whole image
     * @return {@code targetChannels * size * size} floats, CHW, {@code (pixel / 255 - mean[c]) / std[c]}
     */
    public static float[] toTensorData(
            String format,
            byte[] image,
            int height,
            int width,
            int channels,
            int size,
            int targetChannels,
            float[] mean,
            float[] std,
            Region region) {
        if (mean.length < targetChannels || std.length < targetChannels) {
            throw new IllegalArgumentException(
                    "mean and std need " + targetChannels + " values, got " + mean.length + " and " + std.length);
        }
        if (region != null && (region.x + region.width > width || region.y + region.height > height)) {
            throw new IllegalArgumentException(
                    "crop " + region + " does not fit the " + height + "x" + width + " image");
        }
        if (RAW.equals(format) && region == null && height == size && width == size && channels == targetChannels) {
            checkRawLength(image, height, width, channels);
            return normalise(image, size, targetChannels, mean, std); // the common IDX case needs no OpenCV
        }
        Mat decoded = decode(format, image, height, width, channels),
                converted = new Mat(),
                resized = new Mat(),
                crop = null;
        try {
            if (!RAW.equals(format) && (decoded.rows() != height || decoded.cols() != width)) {
                throw new IllegalArgumentException("decodes to " + decoded.rows() + "x" + decoded.cols()
                        + " but the row says " + height + "x" + width);
            }
            int conversion = colourConversion(decoded.channels(), targetChannels, RAW.equals(format));
            Mat src = decoded;
            if (conversion >= 0) {
                Imgproc.cvtColor(decoded, converted, conversion);
                src = converted;
            }
            if (region != null) {
                crop = src.submat(new Rect(region.x, region.y, region.width, region.height)); // a view: no copy
                src = crop;
            }
            if (src.rows() != size || src.cols() != size) {
                // area averaging when shrinking (no aliasing), bilinear when enlarging
                boolean shrink = src.rows() > size || src.cols() > size;
                Imgproc.resize(
                        src, resized, new Size(size, size), 0, 0, shrink ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR);
                src = resized;
            }
            if (src == crop) { // a crop of exactly the input size: make its rows contiguous
                crop.copyTo(resized);
                src = resized;
            }
            byte[] pixels = new byte[size * size * targetChannels];
            OpenCVMat$.MODULE$.toBytePixels(src, pixels);
            return normalise(pixels, size, targetChannels, mean, std);
        } finally {
            decoded.release();
            converted.release();
            resized.release();
            if (crop != null) crop.release();
        }
    }

    /**
     * The image for a person to look at: decoded as {@link #toTensorData} decodes it (any stored format,
     * grey, colour or with alpha), its longer side scaled to {@code side} pixels, the aspect ratio kept.
     *
     * @throws IllegalArgumentException with the reason when the image does not decode
     */
    public static BufferedImage thumbnail(String format, byte[] image, int height, int width, int channels, int side) {
        Mat decoded = decode(format, image, height, width, channels), rgb = new Mat(), resized = new Mat();
        try {
            int conversion = colourConversion(decoded.channels(), 3, RAW.equals(format));
            Mat src = decoded;
            if (conversion >= 0) {
                Imgproc.cvtColor(decoded, rgb, conversion);
                src = rgb;
            }
            double scale = (double) side / Math.max(src.rows(), src.cols());
            int h = Math.max(1, (int) Math.round(src.rows() * scale)),
                    w = Math.max(1, (int) Math.round(src.cols() * scale));
            Imgproc.resize(src, resized, new Size(w, h), 0, 0, scale < 1 ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR);
            byte[] pixels = new byte[h * w * 3];
            OpenCVMat$.MODULE$.toBytePixels(resized, pixels);
            int[] packed = new int[h * w];
            for (int p = 0; p < packed.length; p++)
                packed[p] = (pixels[3 * p] & 0xff) << 16 | (pixels[3 * p + 1] & 0xff) << 8 | (pixels[3 * p + 2] & 0xff);
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            out.setRGB(0, 0, w, h, packed, 0, w);
            return out;
        } finally {
            decoded.release();
            rgb.release();
            resized.release();
        }
    }

    /**
     * Validates an encoded image and returns its shape: the bytes must be a complete JPEG or PNG of
     * the given format (structure walked to the end marker: libjpeg would decode a truncated file
     * into grey padding without complaint) and OpenCV must decode them.
     *
     * @throws IllegalArgumentException with the reason: not an image, corrupt, truncated, unsupported
     */
    public static Shape inspect(String format, byte[] bytes) {
        if (RAW.equals(format)) {
            throw new IllegalArgumentException("raw pixels carry no header to inspect: their shape comes with them");
        }
        Mat m = decode(format, bytes, 0, 0, 0);
        try {
            return new Shape(m.rows(), m.cols(), m.channels());
        } finally {
            m.release();
        }
    }

    /** The encoded format the bytes start like ("jpeg", "png"), or null for anything else. */
    public static String sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) return JPEG;
        return EncodedStructure.isPng(b) ? PNG : null;
    }

    /** Decodes (and so validates) an image as 8-bit pixels; the caller releases the matrix. */
    static Mat decode(String format, byte[] image, int height, int width, int channels) {
        if (!OpenCV.isOpenCVLoaded()) throw new IllegalStateException("BigDL's OpenCV native library did not load");
        if (RAW.equals(format)) {
            checkRawLength(image, height, width, channels);
            return OpenCVMat$.MODULE$.fromPixelsBytes(image, height, width, channels);
        }
        if (!JPEG.equals(format) && !PNG.equals(format))
            throw new IllegalArgumentException("unknown image format '" + format + "'");
        String problem = JPEG.equals(format) ? EncodedStructure.jpegProblem(image) : EncodedStructure.pngProblem(image);
        if (problem != null) throw new IllegalArgumentException(problem);
        OpenCVMat m = OpenCVMat$.MODULE$.fromImageBytes(image); // IMREAD_UNCHANGED: grey stays 1 channel
        if (m.empty() || m.rows() == 0 || m.cols() == 0) {
            m.release();
            throw new IllegalArgumentException("corrupt " + format + ": OpenCV cannot decode it");
        }
        if (m.channels() != 1 && m.channels() != 3 && m.channels() != 4) {
            m.release();
            throw new IllegalArgumentException("unsupported " + format + " with " + m.channels() + " channels");
        }
        if (m.depth() == CvType.CV_16U) m.convertTo(m, CvType.CV_8UC(m.channels()), 255.0 / 65535); // 16-bit PNG
        return m;
    }

    /** cvtColor code from a decoded image (OpenCV's BGR order, or RGB for raw pixels) to grey or RGB; -1: none needed. */
    private static int colourConversion(int from, int to, boolean rgbSource) {
        if (to == 1) {
            if (from == 1) return -1;
            if (from == 3) return rgbSource ? Imgproc.COLOR_RGB2GRAY : Imgproc.COLOR_BGR2GRAY;
            if (from == 4) return rgbSource ? Imgproc.COLOR_RGBA2GRAY : Imgproc.COLOR_BGRA2GRAY;
        } else if (to == 3) {
            if (from == 1) return Imgproc.COLOR_GRAY2RGB;
            if (from == 3) return rgbSource ? -1 : Imgproc.COLOR_BGR2RGB;
            if (from == 4) return rgbSource ? Imgproc.COLOR_RGBA2RGB : Imgproc.COLOR_BGRA2RGB;
        }
        throw new IllegalArgumentException("cannot turn a " + from + "-channel image into " + to + " channels");
    }

    private static void checkRawLength(byte[] image, int height, int width, int channels) {
        if (image.length != height * width * channels) {
            throw new IllegalArgumentException(
                    "raw image has " + image.length + " bytes, not " + height + "x" + width + "x" + channels);
        }
    }

    /** HWC bytes -> CHW floats, standardised. */
    private static float[] normalise(byte[] hwc, int size, int c, float[] mean, float[] std) {
        int plane = size * size;
        float[] out = new float[c * plane];
        for (int p = 0; p < plane; p++) {
            for (int k = 0; k < c; k++) out[k * plane + p] = ((hwc[p * c + k] & 0xff) / 255f - mean[k]) / std[k];
        }
        return out;
    }
}
