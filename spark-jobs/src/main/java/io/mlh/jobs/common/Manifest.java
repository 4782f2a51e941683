package io.mlh.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * What a committed output holds: every file's path (relative to the output), size, SHA-256 and, for
 * Parquet files, row count, written as {@value #FILE} when the output is committed. A reader checks
 * names, sizes and row counts every time and the hashes on request, so a missing, extra, truncated or
 * altered file is refused naming it instead of being read as fewer rows. Hadoop's {@code .crc} side
 * files and the commit marker are not part of it: stores without checksum files verify the same.
 */
public final class Manifest implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FILE = "_MLH_MANIFEST";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Hashing on the driver below this many bytes; above it, one Spark task a file. */
    private static final long DISTRIBUTED_BYTES = 256L << 20;

    /** One file of an output. */
    public static final class Entry implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String path;
        public final long bytes, rows; // rows: -1 for a file that is not Parquet
        public final String sha256;

        Entry(String path, long bytes, long rows, String sha256) {
            this.path = path;
            this.bytes = bytes;
            this.rows = rows;
            this.sha256 = sha256;
        }
    }

    private final Map<String, Entry> entries;

    private Manifest(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** The recorded SHA-256 of {@code path}; fails if the manifest does not list it. */
    public String sha256(String path) throws IOException {
        Entry e = entries.get(path);
        if (e == null) throw new IOException("the manifest lists no " + path);
        return e.sha256;
    }

    /** Rows of the Parquet files together. */
    public long rows() {
        long n = 0;
        for (Entry e : entries.values()) n += Math.max(0, e.rows);
        return n;
    }

    /** The manifest of what {@code dir} holds now, hashed on the driver or, for a large output, by Spark. */
    static Manifest of(Configuration conf, SparkSession spark, Path dir) throws IOException {
        Map<String, FileStatus> files = files(conf, dir);
        long total = 0;
        List<String> names = new ArrayList<>(files.keySet()), paths = new ArrayList<>();
        for (FileStatus f : files.values()) {
            total += f.getLen();
            paths.add(f.getPath().toString());
        }
        List<String> sums = hashes(conf, spark, paths, total);
        Map<String, Entry> entries = new TreeMap<>();
        for (int i = 0; i < names.size(); i++) {
            FileStatus f = files.get(names.get(i));
            entries.put(names.get(i), new Entry(names.get(i), f.getLen(), rows(conf, f), sums.get(i)));
        }
        return new Manifest(entries);
    }

    /** Writes this manifest into {@code dir}. */
    void write(Configuration conf, Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        ArrayNode list = root.putArray("files");
        for (Entry e : entries.values()) {
            ObjectNode o = list.addObject();
            o.put("path", e.path);
            o.put("bytes", e.bytes);
            if (e.rows >= 0) o.put("rows", e.rows);
            o.put("sha256", e.sha256);
        }
        Path file = new Path(dir, FILE);
        try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        }
    }

    /** The manifest a committed output holds. */
    public static Manifest read(Configuration conf, Path dir) throws IOException {
        Path file = new Path(dir, FILE);
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(file)) {
            throw new IOException("input " + dir + " has no " + FILE + ": its files cannot be checked (written by an"
                    + " older version of the jobs, or not by them); write it again");
        }
        JsonNode root;
        try (InputStream in = fs.open(file)) {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IOException(file + " does not parse: " + e.getMessage(), e);
        }
        Map<String, Entry> entries = new TreeMap<>();
        for (JsonNode o : root.path("files")) {
            String path = o.path("path").asText();
            entries.put(
                    path,
                    new Entry(
                            path,
                            o.path("bytes").asLong(-1),
                            o.has("rows") ? o.path("rows").asLong() : -1,
                            o.path("sha256").asText()));
        }
        if (entries.isEmpty() && !root.has("files")) throw new IOException(file + " lists no files");
        return new Manifest(entries);
    }

    /**
     * Fails naming the first file of {@code dir} that differs from its manifest: missing, extra, of
     * another size or row count and, with {@code hashes}, of other content.
     */
    public static Manifest verify(Configuration conf, SparkSession spark, Path dir, boolean hashes) throws IOException {
        Manifest m = read(conf, dir);
        Map<String, FileStatus> present = files(conf, dir);
        for (String name : present.keySet()) {
            if (!m.entries.containsKey(name)) {
                throw new IOException("input " + dir + " holds " + name + ", which its manifest does not list"
                        + " (a file added after the commit)");
            }
        }
        long total = 0;
        for (Entry e : m.entries.values()) {
            FileStatus f = present.get(e.path);
            if (f == null) throw new IOException("input " + dir + " has lost " + e.path + " (listed in its manifest)");
            if (f.getLen() != e.bytes) {
                throw new IOException("input " + dir + ": " + e.path + " is " + f.getLen()
                        + " bytes, its manifest says " + e.bytes + " (truncated or replaced)");
            }
            if (e.rows >= 0) {
                long rows = rows(conf, f);
                if (rows != e.rows) {
                    throw new IOException(
                            "input " + dir + ": " + e.path + " holds " + rows + " rows, its manifest says " + e.rows);
                }
            }
            total += e.bytes;
        }
        if (hashes) {
            List<String> names = new ArrayList<>(m.entries.keySet()), paths = new ArrayList<>();
            for (String name : names) paths.add(present.get(name).getPath().toString());
            List<String> sums = hashes(conf, spark, paths, total);
            for (int i = 0; i < names.size(); i++) {
                if (!sums.get(i).equals(m.entries.get(names.get(i)).sha256)) {
                    throw new IOException("input " + dir + ": " + names.get(i)
                            + " does not match its SHA-256 in the manifest (its content changed after the commit)");
                }
            }
        }
        return m;
    }

    /**
     * The output's files by their path inside it, recursively, without the marker, the manifest and
     * hidden side files (.crc). The listing names files by absolute path: {@code dir} is qualified
     * (a relative path resolves against the working directory, a trailing '/' is dropped) before the
     * names are cut from them.
     */
    private static Map<String, FileStatus> files(Configuration conf, Path dir) throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        String root = fs.makeQualified(dir).toUri().getPath().replaceAll("(?<=.)/+$", ""); // a URI may end in '/'
        Map<String, FileStatus> out = new TreeMap<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String name = f.getPath().getName(), path = f.getPath().toUri().getPath();
            if (name.equals(FILE) || name.equals(CommittedOutput.MARKER) || name.startsWith(".")) continue;
            if (!path.startsWith(root + "/"))
                throw new IOException("listing " + dir + " gave " + path + ", outside it");
            out.put(path.substring(root.length() + 1), f);
        }
        return out;
    }

    /** A Parquet file's row count from its footer; -1 for other files. */
    private static long rows(Configuration conf, FileStatus f) throws IOException {
        if (!f.getPath().getName().endsWith(".parquet")) return -1;
        long rows = 0;
        try {
            for (BlockMetaData b : ParquetFileReader.readFooter(conf, f, ParquetMetadataConverter.NO_FILTER)
                    .getBlocks()) {
                rows += b.getRowCount();
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException(f.getPath() + " is not a readable Parquet file: " + e.getMessage(), e);
        }
        return rows;
    }

    /** SHA-256 of each file: on the driver for a small output, one Spark task a file for a large one. */
    private static List<String> hashes(Configuration conf, SparkSession spark, List<String> paths, long totalBytes)
            throws IOException {
        if (spark == null || totalBytes < DISTRIBUTED_BYTES || paths.size() < 2) {
            List<String> out = new ArrayList<>();
            for (String p : paths) out.add(Sha256.of(conf, new Path(p)));
            return out;
        }
        HadoopConf shipped = new HadoopConf(conf);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        try {
            return jsc.parallelize(paths, paths.size())
                    .map(p -> Sha256.of(shipped.get(), new Path(p)))
                    .collect();
        } catch (RuntimeException e) {
            throw new IOException(
                    "hashing the files of " + new Path(paths.get(0)).getParent() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return entries.size() + " files, " + rows() + " rows";
    }
}
