package io.mlh.jobs.train;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.PureJavaCrc32C;

/**
 * TensorBoard event files of one training run, in the layout of BigDL's TrainSummary / ValidationSummary:
 * {@code <dir>/train} and {@code <dir>/validation}, each holding {@code bigdl.tfevents.*} files of TFRecords,
 * each record one TensorFlow {@code Event} proto with a scalar summary. {@code tensorboard --logdir <dir>} shows
 * them. A resumed run adds new files beside the old ones.
 *
 * <p>Written here rather than through BigDL's visualization package: its Event classes need protobuf 3 at
 * run time, which Spark 2.4's classpath (protobuf 2.5) does not have, and its FileWriter resolves the path with
 * an empty Hadoop configuration and closes the JVM-wide cached FileSystem on close (on HDFS, the one Spark is
 * still using). The two messages are small enough to encode by hand (tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto).
 */
final class TensorBoardLog implements Closeable {
    static final String TRAIN = "train", VALIDATION = "validation";
    private final FSDataOutputStream train, validation;

    TensorBoardLog(Configuration hadoop, String dir) throws IOException {
        String name = "bigdl.tfevents." + System.currentTimeMillis() / 1000 + "." + host() + "."
                + UUID.randomUUID().toString().substring(0, 8);
        train = open(hadoop, new Path(new Path(dir, TRAIN), name));
        validation = open(hadoop, new Path(new Path(dir, VALIDATION), name));
    }

    private static FSDataOutputStream open(Configuration hadoop, Path file) throws IOException {
        FileSystem fs = file.getFileSystem(hadoop);
        fs.mkdirs(file.getParent());
        FSDataOutputStream out = fs.create(file, false);
        // an event file starts with an event naming its version
        Proto first = new Proto()
                .fixed64(1, Double.doubleToLongBits(now()))
                .bytes(3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        record(out, first.toByteArray());
        out.hflush();
        return out;
    }

    void train(String tag, double value, long step) throws IOException {
        scalar(train, tag, value, step);
    }

    void validation(String tag, double value, long step) throws IOException {
        scalar(validation, tag, value, step);
    }

    /** Event{wall_time = 1, step = 2, summary = 5 {value = 1 {tag = 1, simple_value = 2}}}. */
    private static void scalar(FSDataOutputStream out, String tag, double value, long step) throws IOException {
        Proto v = new Proto().bytes(1, tag.getBytes(StandardCharsets.UTF_8)).fixed32(2, Float.floatToIntBits((float)
                value));
        Proto summary = new Proto().bytes(1, v.toByteArray());
        Proto event = new Proto()
                .fixed64(1, Double.doubleToLongBits(now()))
                .varint(2, step)
                .bytes(5, summary.toByteArray());
        record(out, event.toByteArray());
        out.hflush(); // readable while training goes on
    }

    /** One TFRecord: length (uint64 LE), its masked CRC-32C, the bytes, their masked CRC-32C. */
    private static void record(FSDataOutputStream out, byte[] data) throws IOException {
        byte[] length = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(data.length)
                .array();
        out.write(length);
        out.write(maskedCrc(length));
        out.write(data);
        out.write(maskedCrc(data));
    }

    /** TFRecord's CRC-32C mask: rotate right by 15 bits, add a constant. */
    static byte[] maskedCrc(byte[] bytes) {
        PureJavaCrc32C crc = new PureJavaCrc32C();
        crc.update(bytes, 0, bytes.length);
        int c = (int) crc.getValue();
        int masked = ((c >>> 15) | (c << 17)) + 0xa282ead8;
        return ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(masked)
                .array();
    }

    private static double now() {
        return System.currentTimeMillis() / 1e3;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            train.close();
        } finally {
            validation.close();
        }
    }

    /** The protobuf wire format, for the three field kinds these messages use. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            rawVarint((long) field << 3);
            rawVarint(v);
            return this;
        }

        Proto fixed64(int field, long bits) {
            rawVarint((long) field << 3 | 1);
            for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)));
            return this;
        }

        Proto fixed32(int field, int bits) {
            rawVarint((long) field << 3 | 5);
            for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
            return this;
        }

        Proto bytes(int field, byte[] b) {
            rawVarint((long) field << 3 | 2);
            rawVarint(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
