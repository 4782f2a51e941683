package io.mlh.bench;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.source.SourceImages;
import io.mlh.jobs.source.SourceSettings;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/**
 * The shard job's driver heap for a list-file catalogue of ImageNet's size: ImageNet100-style list files
 * of {@code lines} lines in all (1% test.txt, the rest database.txt, a tenth of those again in train.txt),
 * one-hot over 100 classes, paths as ImageNet's ({@code train/n01440764/n01440764_10026.JPEG}). The
 * images need not exist: the catalogue (paths, labels, splits) is built, dealt and parallelised into the
 * shard tasks before any image is read, and that is what the driver holds for the job's whole run. The
 * heap is read after full collections: live before, live with the catalogue held, and the peak while it
 * is built.
 *
 * <p>Prints a markdown table of lines catalogued, live MB, bytes a line and peak live MB. Arguments: a work
 * directory, [lines (default 1000000)].
 */
public final class CatalogueMemoryBench {
    private CatalogueMemoryBench() {}

    public static void main(String[] args) throws Exception {
        File work = new File(args[0]).getAbsoluteFile();
        int lines = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        Path lists = work.toPath().resolve("lists-" + lines);
        if (!Files.exists(lists.resolve("train.txt"))) writeLists(lists, lines);
        JobSettings s = JobSettings.fromArgs(new String[] {
            "-",
            "spark.master=local[2]",
            "classes=100",
            "data.source=list",
            "data.root=" + work.toPath().resolve("images"),
            "data.list-dir=" + lists,
            "data.shards=64"
        });
        SparkSession spark = Spark.start("catalogue-memory", s);
        try {
            long before = HeapWatch.liveNow();
            SourceImages images;
            long peak;
            try (HeapWatch watch = new HeapWatch()) {
                images = SourceImages.read(spark, new SourceSettings(s.model));
                peak = watch.peakLive();
            }
            long held = HeapWatch.liveNow() - before, above = Math.max(peak - before, held);
            double perLine = (double) held / images.catalogued();
            System.out.println(
                    "| list lines catalogued | live MB on the driver | bytes a line | peak MB above the baseline |");
            System.out.println("|---:|---:|---:|---:|");
            System.out.printf(
                    Locale.ROOT,
                    "| %,d | %.1f | %.0f | %.1f |%n",
                    images.catalogued(),
                    held / 1e6,
                    perLine,
                    above / 1e6);
            System.out.printf(
                    "# %d list lines catalogued: %.1f MB live on the driver (%.0f bytes a line), peak %.1f MB above the baseline%n",
                    images.catalogued(), held / 1e6, perLine, above / 1e6);
        } finally {
            spark.stop();
        }
    }

    private static void writeLists(Path dir, int lines) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rng = new SplittableRandom(42);
        int queries = lines / 100;
        try (BufferedWriter test = Files.newBufferedWriter(dir.resolve("test.txt"), StandardCharsets.UTF_8);
                BufferedWriter db = Files.newBufferedWriter(dir.resolve("database.txt"), StandardCharsets.UTF_8);
                BufferedWriter train = Files.newBufferedWriter(dir.resolve("train.txt"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < lines; i++) {
                int c = rng.nextInt(100);
                String wnid = String.format("n%08d", 1440764 + c * 9973);
                StringBuilder b = new StringBuilder(i < queries ? "val/" : "train/")
                        .append(wnid)
                        .append('/')
                        .append(wnid)
                        .append('_')
                        .append(i)
                        .append(".JPEG");
                for (int k = 0; k < 100; k++) b.append(k == c ? " 1" : " 0");
                String line = b.append('\n').toString();
                if (i < queries) {
                    test.write(line);
                } else {
                    db.write(line);
                    if (i % 10 == 0) train.write(line);
                }
            }
        }
    }
}
