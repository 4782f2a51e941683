package io.mlh.jobs.shard;

import io.mlh.jobs.cluster.CifarSubset;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.tables.ShardTable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Shared helpers of the shard tests: local Spark, settings, real data written into temporary trees. */
public final class Fixtures {
    static final Path FASHION = java.nio.file.Paths.get("/usr/share/datasets/fashion-mnist");
    static final String[] CIFAR_CLASSES = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
    };

    private Fixtures() {}

    /** Local Spark on two cores; Spark.start turns the UI off. */
    static SparkSession spark() {
        return Spark.start("shard-test", settings("spark.master=local[2]"));
    }

    /** Default settings plus {@code key=value} overrides. */
    static JobSettings settings(String... overrides) {
        List<String> args = new ArrayList<>();
        args.add("-");
        args.addAll(Arrays.asList(overrides));
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }

    static JobSettings settings(List<String> overrides) {
        return settings(overrides.toArray(new String[0]));
    }

    /** The real CIFAR-10 JPEGs {@code cifar10/train/<class>/<glob>} unpacked under {@code dir}; returns {@code dir/cifar10}. */
    public static Path cifar(Path dir, String glob) throws Exception {
        return CifarSubset.extract(dir, glob).resolve("cifar10");
    }

    static Dataset<Row> table(SparkSession spark, String path) {
        return ShardTable.read(spark, path);
    }

    static List<Row> rejects(SparkSession spark, String shardsPath) {
        return spark.read()
                .schema(ShardTable.REJECTS_SCHEMA)
                .parquet(ShardTable.rejectsPath(shardsPath))
                .collectAsList();
    }

    /** The table's Parquet files in partition order. */
    static List<Path> parts(Path table) throws IOException {
        try (Stream<Path> files = Files.list(table)) {
            return files.filter(p -> p.getFileName().toString().startsWith("part-")
                            && p.toString().endsWith(".parquet"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    static void writeLines(Path file, List<String> lines) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    /** A list-file line: path and the 0/1 vector of {@code labels}. */
    static String line(String path, int... labels) {
        StringBuilder b = new StringBuilder(path);
        for (int y : labels) b.append(' ').append(y);
        return b.toString();
    }

    static int[] oneHot(int c, int classes) {
        int[] y = new int[classes];
        y[c] = 1;
        return y;
    }

    /** An uncompressed IDX images file. */
    static void writeIdxImages(Path file, int count, int rows, int cols, byte[] pixels) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.writeInt(0x00000803);
            out.writeInt(count);
            out.writeInt(rows);
            out.writeInt(cols);
            out.write(pixels);
        }
    }

    /** An uncompressed IDX labels file. */
    static void writeIdxLabels(Path file, int[] labels) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.writeInt(0x00000801);
            out.writeInt(labels.length);
            for (int y : labels) out.write(y);
        }
    }

    static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The JPEG with its frame height set to 0: structurally whole, but no decoder accepts it. */
    public static byte[] zeroHeight(byte[] jpeg) {
        byte[] b = jpeg.clone();
        for (int i = 2; i + 1 < b.length; i++) {
            if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == 0xc0) { // SOF0: length(2) precision(1) height(2)
                b[i + 5] = 0;
                b[i + 6] = 0;
                return b;
            }
        }
        throw new IllegalStateException("no baseline frame header");
    }
}
