package io.mlh.jobs.source;

import io.mlh.core.data.IdxFile;
import io.mlh.jobs.common.HadoopConf;
import io.mlh.jobs.images.ImageCodec;
import io.mlh.jobs.source.SourceSettings.BadRecordPolicy;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import org.opencv.core.CvException;

/**
 * Executor side: one shard's records -> shard-table rows, read lazily (a shard of ImageNet does not
 * fit in memory). Image files are read through Hadoop and validated by {@link ImageCodec#inspect};
 * IDX records come from the images file, read once per task. A bad record throws
 * {@link BadRecordException} (fail policy) or is added to the rejects accumulator (skip policy);
 * I/O failures other than a missing file fail the task either way.
 */
final class ShardReader implements FlatMapFunction<Iterator<ArrayList<Record>>, Row> {
    private static final long serialVersionUID = 1L;
    private final HadoopConf conf;
    private final BadRecordPolicy policy;
    private final CollectionAccumulator<Reject> rejects;

    ShardReader(HadoopConf conf, BadRecordPolicy policy, CollectionAccumulator<Reject> rejects) {
        this.conf = conf;
        this.policy = policy;
        this.rejects = rejects;
    }

    @Override
    public Iterator<Row> call(Iterator<ArrayList<Record>> shard) {
        return new Rows(shard.hasNext() ? shard.next() : Collections.<Record>emptyList());
    }

    /** Rows of the good records, in id order, one image in memory at a time (plus the current IDX file). */
    private final class Rows implements Iterator<Row> {
        private final Iterator<Record> records;
        private Row next;
        private String idxPath;
        private IdxFile.Images idx;

        Rows(List<Record> records) {
            this.records = records.iterator();
        }

        @Override
        public boolean hasNext() {
            while (next == null && records.hasNext()) next = read(records.next());
            return next != null;
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            Row r = next;
            next = null;
            return r;
        }

        /** The record's row, or null when it is rejected. */
        private Row read(Record r) {
            try {
                return r.index >= 0 ? idxRow(r) : fileRow(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + r.source() + ": " + e.getMessage(), e);
            }
        }

        private Row idxRow(Record r) throws IOException {
            if (!r.path.equals(idxPath)) {
                idx = null; // let the previous file go before reading the next
                Path p = new Path(r.path);
                try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
                    idx = IdxFile.readImages(
                            in, r.path); // checks header against size: a bad file fails under any policy
                }
                idxPath = r.path;
            }
            if (r.index >= idx.count)
                throw new IOException("bad IDX file " + r.path + ": it holds " + idx.count + " images, record "
                        + r.index + " was expected");
            int size = idx.rows * idx.cols;
            byte[] pixels = Arrays.copyOfRange(idx.pixels, r.index * size, (r.index + 1) * size);
            return row(r, pixels, ImageCodec.RAW, new ImageCodec.Shape(idx.rows, idx.cols, 1));
        }

        private Row fileRow(Record r) throws IOException {
            byte[] bytes;
            try {
                bytes = readAll(new Path(r.path));
            } catch (FileNotFoundException e) {
                return reject(r, "missing file");
            }
            String format = ImageCodec.sniff(bytes);
            if (format == null) return reject(r, "not a JPEG or PNG image (" + bytes.length + " bytes)");
            try {
                return row(r, bytes, format, ImageCodec.inspect(format, bytes));
            } catch (IllegalArgumentException | CvException e) {
                return reject(r, e.getMessage());
            }
        }

        private byte[] readAll(Path p) throws IOException {
            FileSystem fs = p.getFileSystem(conf.get());
            try (InputStream in = fs.open(p)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
                return out.toByteArray();
            }
        }

        private Row reject(Record r, String reason) {
            Reject reject = r.reject(reason);
            if (policy == BadRecordPolicy.FAIL) throw new BadRecordException(reject);
            rejects.add(reject);
            return null;
        }

        private Row row(Record r, byte[] image, String format, ImageCodec.Shape shape) {
            return RowFactory.create(
                    r.id,
                    r.split,
                    r.train,
                    r.labels,
                    image,
                    format,
                    shape.height,
                    shape.width,
                    shape.channels,
                    r.source());
        }
    }
}
