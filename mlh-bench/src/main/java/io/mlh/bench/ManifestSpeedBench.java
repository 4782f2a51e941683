package io.mlh.bench;

import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Manifest;
import io.mlh.jobs.common.Spark;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * What an output's manifest costs per GB on the local file system: hashing at the commit (on the
 * driver, and by Spark tasks on {@code local[2]}), verifying names, sizes and row counts, and
 * verifying the hashes, against {@code sha256sum} over the same files in the same run. The files are
 * random bytes written just before, so they are read from the page cache: the figures are the
 * hashing's own cost, not the disk's. Arguments: a work directory, [megabytes (1024), files (8)].
 */
public final class ManifestSpeedBench {
    private ManifestSpeedBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Paths.get(args[0]).toAbsolutePath();
        int megabytes = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        double gb = megabytes / 1024.0;
        Configuration conf = new Configuration();
        List<Path> files = randomFiles(work.resolve("files-" + megabytes + "m"), megabytes, count);

        JobSettings s = JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"});
        SparkSession spark = Spark.start("manifest-speed", s);
        try {
            String target = work.resolve("output").toString();
            sha256sum(files); // warm the page cache and the tools

            long t0 = System.nanoTime();
            org.apache.hadoop.fs.Path staging = CommittedOutput.stage(conf, target, true);
            link(files, staging);
            CommittedOutput.commit(conf, staging, target);
            double driverCommit = seconds(t0);

            long t1 = System.nanoTime();
            CommittedOutput.write(spark, target, true, s.claims, st -> {
                link(files, st);
                return null;
            });
            double sparkCommit = seconds(t1);

            long t2 = System.nanoTime();
            Manifest m = CommittedOutput.verified(conf, target);
            double sizes = seconds(t2);

            long t3 = System.nanoTime();
            CommittedOutput.requireCommitted(spark, target, true);
            double sparkHashes = seconds(t3);

            long t4 = System.nanoTime();
            sha256sum(files);
            double reference = seconds(t4);

            System.out.printf(
                    Locale.ROOT,
                    "| what (%d files, %.2f GB, from the page cache) | s | s per GB | x sha256sum |%n",
                    count,
                    gb);
            System.out.println("|---|---:|---:|---:|");
            row("commit: manifest hashed on the driver", driverCommit, gb, reference);
            row("commit: manifest hashed by Spark tasks (local[2])", sparkCommit, gb, reference);
            row("read: names, sizes and row counts checked", sizes, gb, reference);
            row("read: hashes checked by Spark tasks (jobs.verify-inputs=true)", sparkHashes, gb, reference);
            row("sha256sum of the same files, one process", reference, gb, reference);
            System.out.println("# " + m);
        } finally {
            spark.stop();
        }
    }

    private static void row(String what, double seconds, double gb, double reference) {
        System.out.printf(
                Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", what, seconds, seconds / gb, seconds / reference);
    }

    /** Hard links of the files into a staging directory: the commit's cost without a copy's. */
    private static void link(List<Path> files, org.apache.hadoop.fs.Path staging) throws IOException {
        Path dir = Paths.get(staging.toUri().getPath());
        for (Path f : files) Files.createLink(dir.resolve(f.getFileName()), f);
    }

    private static List<Path> randomFiles(Path dir, int megabytes, int count) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(7);
        byte[] block = new byte[1 << 20];
        for (int i = 0; i < count; i++) {
            Path f = dir.resolve(String.format("part-%05d.bin", i));
            out.add(f);
            if (Files.exists(f) && Files.size(f) == (long) megabytes * (1 << 20) / count) continue;
            try (OutputStream o = Files.newOutputStream(f)) {
                for (int k = 0; k < megabytes / count; k++) {
                    for (int j = 0; j < block.length; j += 8) {
                        long v = rng.nextLong();
                        for (int b = 0; b < 8; b++) block[j + b] = (byte) (v >>> (8 * b));
                    }
                    o.write(block);
                }
            }
        }
        return out;
    }

    private static void sha256sum(List<Path> files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("sha256sum");
        for (Path f : files) cmd.add(f.toString());
        Process p =
                new ProcessBuilder(cmd).redirectOutput(new File("/dev/null")).start();
        if (p.waitFor() != 0) throw new IOException("sha256sum failed: exit " + p.exitValue());
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
