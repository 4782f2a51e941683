package io.mlh.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (optionally gzipped): a big-endian header
 * (magic 0x00000803 images / 0x00000801 labels, count, and rows, cols for images) followed by
 * unsigned bytes. A header that disagrees with the data fails naming the file and the reason.
 */
public final class IdxFile {
    public static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    private IdxFile() {}

    /** Grayscale images, row-major bytes, {@code count * rows * cols} of them. */
    public static final class Images {
        public final int count, rows, cols;
        public final byte[] pixels;

        Images(int count, int rows, int cols, byte[] pixels) {
            this.count = count;
            this.rows = rows;
            this.cols = cols;
            this.pixels = pixels;
        }
    }

    /** Reads an images file; {@code name} is used in error messages. */
    public static Images readImages(InputStream raw, String name) throws IOException {
        try (DataInputStream in = open(raw, name)) {
            int magic = headerInt(in, name);
            if (magic != IMAGES_MAGIC)
                throw bad(name, String.format("magic 0x%08x is not an IDX image file (0x%08x)", magic, IMAGES_MAGIC));
            int count = headerInt(in, name), rows = headerInt(in, name), cols = headerInt(in, name);
            if (count < 0 || rows <= 0 || cols <= 0)
                throw bad(name, "header gives " + count + " images of " + rows + "x" + cols);
            long size = (long) count * rows * cols;
            if (size > Integer.MAX_VALUE - 8)
                throw bad(name, "header gives " + size + " bytes of pixels, more than one array holds");
            byte[] pixels = readExactly(in, (int) size, name, count + " images of " + rows + "x" + cols);
            return new Images(count, rows, cols, pixels);
        }
    }

    /** Reads a labels file: one unsigned byte a record. */
    public static int[] readLabels(InputStream raw, String name) throws IOException {
        try (DataInputStream in = open(raw, name)) {
            int magic = headerInt(in, name);
            if (magic != LABELS_MAGIC)
                throw bad(name, String.format("magic 0x%08x is not an IDX label file (0x%08x)", magic, LABELS_MAGIC));
            int count = headerInt(in, name);
            if (count < 0) throw bad(name, "header gives " + count + " labels");
            byte[] b = readExactly(in, count, name, count + " labels");
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) labels[i] = b[i] & 0xff;
            return labels;
        }
    }

    private static DataInputStream open(InputStream raw, String name) throws IOException {
        BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int m1 = b.read(), m2 = b.read();
        b.reset();
        InputStream in = (m1 == 0x1f && m2 == 0x8b) ? new GZIPInputStream(b, 1 << 16) : b;
        return new DataInputStream(in);
    }

    /** Reads exactly {@code n} bytes and checks nothing follows: header and size must agree. */
    private static byte[] readExactly(DataInputStream in, int n, String name, String what) throws IOException {
        byte[] out = new byte[n];
        try {
            in.readFully(out);
        } catch (EOFException e) {
            throw bad(name, "header promises " + what + " but the file ends early");
        }
        if (in.read() != -1) throw bad(name, "header promises " + what + " but more data follows");
        return out;
    }

    /** One big-endian int of the header; an empty or cut-off file fails naming itself. */
    private static int headerInt(DataInputStream in, String name) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw bad(name, "the file ends inside its header (an empty or cut-off file)");
        }
    }

    private static IOException bad(String name, String reason) {
        return new IOException("bad IDX file " + name + ": " + reason);
    }
}
