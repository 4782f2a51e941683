package io.mlh.jobs.source;

import io.mlh.core.data.IdxFile;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * IDX sources (MNIST layout): {@code <root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]}, train
 * records first. The driver reads the label files and only the images files' headers; executors read
 * the pixels (and there IdxFile checks that each images file's size agrees with its header).
 */
final class IdxCatalogue {
    private IdxCatalogue() {}

    static final String[] PARTS = {"train", "t10k"};

    static List<Record> read(SourceSettings s, Configuration conf, BadRecords bad) throws IOException {
        FileSystem fs = new Path(s.root).getFileSystem(conf);
        Path root = fs.makeQualified(new Path(s.root)); // sources name the file system: file:/..., hdfs://...
        int classes = s.classes;
        int[][] oneHot = Catalogue.oneHot(classes);
        List<Record> records = new ArrayList<>();
        for (String part : PARTS) {
            Path images = find(fs, root, part + "-images-idx3-ubyte"),
                    labelFile = find(fs, root, part + "-labels-idx1-ubyte");
            int[] labels;
            try (InputStream in = fs.open(labelFile)) {
                labels = IdxFile.readLabels(in, labelFile.toString());
            }
            int count = imageCount(fs, images);
            if (count != labels.length) {
                throw new IOException("bad IDX files: " + images + " holds " + count + " images but " + labelFile + " "
                        + labels.length + " labels");
            }
            String imagesPath = images.toString();
            for (int i = 0; i < count; i++) {
                if (labels[i] < classes) {
                    records.add(Record.of(imagesPath, i, oneHot[labels[i]]));
                } else {
                    bad.reject(
                            imagesPath + "#" + i,
                            "label " + labels[i] + " is not one of the classes 0.." + (classes - 1) + " (mlh.classes = "
                                    + classes + ")");
                }
            }
        }
        return records;
    }

    private static Path find(FileSystem fs, Path root, String name) throws IOException {
        for (String candidate : new String[] {name, name + ".gz"}) {
            Path p = new Path(root, candidate);
            if (fs.exists(p)) return p;
        }
        throw new IOException("IDX source " + root + " has no " + name + " or " + name + ".gz (data.root)");
    }

    /** The image count from the header: magic, count, rows, cols (gzip or raw). */
    private static int imageCount(FileSystem fs, Path images) throws IOException {
        return header(fs, images)[0];
    }

    /** Bytes a record of {@code images} takes in the shard table: rows x cols raw pixels. */
    static long imageBytes(FileSystem fs, Path images) throws IOException {
        int[] h = header(fs, images);
        return (long) h[1] * h[2];
    }

    /** count, rows, cols from the header: magic, count, rows, cols (gzip or raw). */
    private static int[] header(FileSystem fs, Path images) throws IOException {
        try (InputStream raw = fs.open(images)) {
            BufferedInputStream b = new BufferedInputStream(raw);
            b.mark(2);
            boolean gzip = b.read() == 0x1f && b.read() == 0x8b;
            b.reset();
            DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(b) : b);
            int magic = in.readInt(), count = in.readInt(), rows = in.readInt(), cols = in.readInt();
            if (magic != IdxFile.IMAGES_MAGIC)
                throw new IOException(
                        String.format("bad IDX file %s: magic 0x%08x is not an IDX image file", images, magic));
            if (count < 0 || rows <= 0 || cols <= 0)
                throw new IOException(
                        "bad IDX file " + images + ": header gives " + count + " images of " + rows + "x" + cols);
            return new int[] {count, rows, cols};
        } catch (EOFException e) {
            throw new IOException("bad IDX file " + images + ": it ends inside its header", e);
        }
    }
}
