package io.mlh.jobs.shard;

import com.intel.analytics.bigdl.opencv.OpenCV;
import com.intel.analytics.bigdl.transform.vision.image.opencv.OpenCVMat;
import com.intel.analytics.bigdl.transform.vision.image.opencv.OpenCVMat$;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/**
 * Image bytes as stored in a shard table -> the network's input: decoded and resized with BigDL's
 * OpenCV binding, channels in RGB order, CHW layout, pixels on [0, 1] standardised per channel.
 * Runs on the executors; every OpenCV matrix is released before returning.
 */
public final class ImageCodec {
    private ImageCodec() {}

    /** Formats a shard row may hold. */
    public static final String RAW = "raw", JPEG = "jpeg", PNG = "png";

    /**
     * @param format "raw" (uint8 pixels, HWC) or an encoded format ("jpeg", "png")
     * @return {@code targetChannels * size * size} floats, CHW
     */
    public static float[] toTensorData(String format, byte[] image, int height, int width, int channels, int size,
                                       int targetChannels, float[] mean, float[] std) {
        if (RAW.equals(format) && height == size && width == size && channels == targetChannels) {
            return normalise(image, size, targetChannels, mean, std, false); // the common IDX case needs no OpenCV
        }
        OpenCVMat decoded = decode(format, image, height, width, channels);
        Mat converted = new Mat(), resized = new Mat();
        try {
            boolean bgr = decoded.channels() == 3;
            Mat src = decoded;
            if (decoded.channels() != targetChannels) {
                int code = targetChannels == 1 ? (bgr ? Imgproc.COLOR_BGR2GRAY : Imgproc.COLOR_BGRA2GRAY)
                        : targetChannels == 3 && decoded.channels() == 1 ? Imgproc.COLOR_GRAY2BGR
                        : targetChannels == 3 && decoded.channels() == 4 ? Imgproc.COLOR_BGRA2BGR : -1;
                if (code < 0) throw new IllegalArgumentException("cannot turn a " + decoded.channels() + "-channel image into " + targetChannels + " channels");
                Imgproc.cvtColor(decoded, converted, code);
                src = converted;
            }
            if (src.rows() != size || src.cols() != size) {
                Imgproc.resize(src, resized, new Size(size, size), 0, 0, Imgproc.INTER_LINEAR);
                src = resized;
            }
            byte[] pixels = new byte[size * size * targetChannels];
            OpenCVMat$.MODULE$.toBytePixels(src, pixels);
            return normalise(pixels, size, targetChannels, mean, std, targetChannels == 3 && !RAW.equals(format));
        } finally {
            decoded.release();
            converted.release();
            resized.release();
        }
    }

    /** Decodes (and so validates) an image; the caller releases the matrix. */
    static OpenCVMat decode(String format, byte[] image, int height, int width, int channels) {
        if (!OpenCV.isOpenCVLoaded()) throw new IllegalStateException("BigDL's OpenCV native library did not load");
        if (RAW.equals(format)) {
            if (image.length != height * width * channels) {
                throw new IllegalArgumentException("raw image has " + image.length + " bytes, not " + height + "x" + width + "x" + channels);
            }
            return OpenCVMat$.MODULE$.fromPixelsBytes(image, height, width, channels);
        }
        if (!JPEG.equals(format) && !PNG.equals(format)) throw new IllegalArgumentException("unknown image format '" + format + "'");
        OpenCVMat m;
        try {
            m = OpenCVMat$.MODULE$.fromImageBytes(image);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a decodable " + format + " image: " + e.getMessage(), e);
        }
        if (m.empty() || m.rows() == 0 || m.cols() == 0) {
            m.release();
            throw new IllegalArgumentException("not a decodable " + format + " image (corrupt or truncated)");
        }
        return m;
    }

    /** HWC bytes (BGR when {@code bgr}) -> CHW floats in RGB order, standardised. */
    private static float[] normalise(byte[] hwc, int size, int c, float[] mean, float[] std, boolean bgr) {
        int plane = size * size;
        float[] out = new float[c * plane];
        for (int p = 0; p < plane; p++) {
            for (int k = 0; k < c; k++) {
                int from = bgr ? c - 1 - k : k;
                out[k * plane + p] = ((hwc[p * c + from] & 0xff) / 255f - mean[k]) / std[k];
            }
        }
        return out;
    }
}
