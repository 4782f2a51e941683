package io.mlh.jobs.common;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The one commit protocol of every job's output, on any Hadoop file system. A writer first claims
 * its target ({@link OutputClaim}: one writer at a time), writes into a hidden staging directory
 * beside it, lists what it wrote in a {@link Manifest} (names, sizes, Parquet row counts, SHA-256),
 * drops the commit marker and renames the directory into place (one atomic rename on HDFS and local
 * file systems). Readers accept only a directory that holds the marker and whose files match its
 * manifest, so neither a job killed half-way nor a file lost or altered later is read as a result.
 */
public final class CommittedOutput {
    public static final String MARKER = "_MLH_COMMITTED";

    private CommittedOutput() {}

    /** What fills a staging directory; returns what its caller reports (e.g. the rows written). */
    public interface Work<T> {
        T write(Path staging) throws IOException;
    }

    /**
     * Writes {@code target} whole or not at all: claims it, stages it (refusing an existing target
     * unless overwriting), lets {@code work} fill the staging directory and commits it. On any failure
     * the staging directory is removed and the failure rethrown.
     */
    public static <T> T write(
            Configuration conf, String target, boolean overwrite, OutputClaim.Terms claim, Work<T> work)
            throws IOException {
        return write(conf, null, target, overwrite, claim, work);
    }

    /**
     * The same for a Spark job's output, claimed in the application's name; the manifest of a large
     * output is hashed by Spark tasks. On failure it first waits until none of the job's tasks runs
     * ({@link Spark#awaitNoRunningTasks}), since a failed Spark job returns while its other tasks may
     * still create files in the staging directory.
     */
    public static <T> T write(
            SparkSession spark, String target, boolean overwrite, OutputClaim.Terms claim, Work<T> work)
            throws IOException {
        return write(
                spark.sparkContext().hadoopConfiguration(),
                spark,
                target,
                overwrite,
                claim.of(spark.sparkContext().applicationId()),
                work);
    }

    private static <T> T write(
            Configuration conf,
            SparkSession spark,
            String target,
            boolean overwrite,
            OutputClaim.Terms terms,
            Work<T> work)
            throws IOException {
        try (OutputClaim claim = OutputClaim.take(conf, target, terms)) {
            Path staging = stage(conf, target, overwrite);
            try {
                T result = work.write(staging);
                claim.requireHeld();
                commit(conf, spark, staging, target);
                return result;
            } catch (Exception e) { // a failed Spark job's SparkException is checked, and thrown undeclared
                if (spark != null) Spark.awaitNoRunningTasks(spark);
                abandon(conf, staging);
                throw e;
            }
        } catch (Exception e) {
            IOException full = noSpaceLeft(target, e);
            if (full != null) throw full;
            throw e;
        }
    }

    /**
     * A full file system (a local disk's ENOSPC, an HDFS space or name quota) surfaces as a task's
     * exception deep inside a Spark job's failure, whose message names neither the output nor the
     * cause: this names both, or is null for any other failure.
     */
    static IOException noSpaceLeft(String target, Throwable failure) {
        String cause = null; // the innermost exception that says so: Spark's wrappers repeat it amid their own text
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("No space left on device")
                    || message.contains("QuotaExceededException")
                    || t.getClass().getName().endsWith("QuotaExceededException")) {
                cause = message.split("\\n", 2)[0];
            }
        }
        if (cause == null) return null;
        return new IOException(
                "no space left to write " + target + " (" + cause + "): nothing was committed and its partial"
                        + " files were removed; free space or raise the quota, then run the job again",
                failure);
    }

    /** Refuses an existing {@code target} unless overwriting: call it to fail before any work. */
    public static void requireWritable(Configuration conf, String target, boolean overwrite) throws IOException {
        Path t = new Path(target);
        if (!overwrite && t.getFileSystem(conf).exists(t)) {
            throw new IOException("output " + t + " already exists; set jobs.overwrite=true to replace it");
        }
    }

    /** A fresh staging directory beside {@code target}; refuses an existing target unless overwriting. */
    public static Path stage(Configuration conf, String target, boolean overwrite) throws IOException {
        requireWritable(conf, target, overwrite);
        Path t = new Path(target);
        FileSystem fs = t.getFileSystem(conf);
        Path staging = new Path(t.getParent(), "." + t.getName() + ".staging-" + UUID.randomUUID());
        fs.mkdirs(staging);
        return staging;
    }

    /**
     * Lists {@code staging} in its manifest, marks it complete and moves it to {@code target},
     * replacing an older output. The caller holds the target's claim.
     */
    public static void commit(Configuration conf, Path staging, String target) throws IOException {
        commit(conf, null, staging, target);
    }

    private static void commit(Configuration conf, SparkSession spark, Path staging, String target) throws IOException {
        Path t = new Path(target);
        FileSystem fs = t.getFileSystem(conf);
        Manifest.of(conf, spark, staging).write(conf, staging);
        fs.create(new Path(staging, MARKER), true).close();
        if (fs.exists(t)) {
            Path old = new Path(t.getParent(), "." + t.getName() + ".replaced-" + UUID.randomUUID());
            if (!fs.rename(t, old)) throw new IOException("cannot move the old " + t + " aside");
            if (!fs.rename(staging, t)) throw new IOException("cannot move " + staging + " to " + t);
            fs.delete(old, true);
        } else if (!fs.rename(staging, t)) {
            throw new IOException("cannot move " + staging + " to " + t);
        }
        removeDebris(fs, t);
    }

    /** Staging and set-aside directories of {@code target} that killed jobs left behind. */
    private static void removeDebris(FileSystem fs, Path target) throws IOException {
        String staging = "." + target.getName() + ".staging-", replaced = "." + target.getName() + ".replaced-";
        for (FileStatus st : fs.listStatus(target.getParent())) {
            String name = st.getPath().getName();
            if (name.startsWith(staging) || name.startsWith(replaced)) fs.delete(st.getPath(), true);
        }
    }

    /** Drops a staging directory after a failure. */
    public static void abandon(Configuration conf, Path staging) {
        try {
            staging.getFileSystem(conf).delete(staging, true);
        } catch (IOException ignored) {
            // best effort: a staging directory is never read
        }
    }

    /**
     * Fails unless {@code path} is a committed output whose files are those its manifest lists, of
     * the sizes and row counts it records.
     */
    public static Path requireCommitted(Configuration conf, String path) throws IOException {
        return requireCommitted(conf, null, path, false);
    }

    /**
     * The same, also checking every file's SHA-256 when {@code hashes} ({@code jobs.verify-inputs}),
     * one Spark task a file for a large output.
     */
    public static Path requireCommitted(SparkSession spark, String path, boolean hashes) throws IOException {
        return requireCommitted(spark.sparkContext().hadoopConfiguration(), spark, path, hashes);
    }

    /** Whether {@code path} is a committed output that its manifest still describes (to reuse it rather than write it again). */
    public static boolean isCommitted(Configuration conf, String path) {
        try {
            verified(conf, path);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@link #requireCommitted(Configuration, String)}, returning the manifest it checked. */
    public static Manifest verified(Configuration conf, String path) throws IOException {
        return verified(conf, null, path, false);
    }

    private static Path requireCommitted(Configuration conf, SparkSession spark, String path, boolean hashes)
            throws IOException {
        verified(conf, spark, path, hashes);
        return new Path(path);
    }

    private static Manifest verified(Configuration conf, SparkSession spark, String path, boolean hashes)
            throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) throw new IOException("input " + p + " does not exist");
        if (!fs.exists(new Path(p, MARKER))) {
            throw new IOException(
                    "input " + p + " has no " + MARKER + " marker: it is incomplete or not written by an MLH job");
        }
        return Manifest.verify(conf, spark, p, hashes);
    }
}
