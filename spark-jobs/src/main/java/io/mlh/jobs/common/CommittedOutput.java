package io.mlh.jobs.common;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Outputs that appear whole or not at all, on any Hadoop file system. A job writes into a hidden
 * staging directory beside the target, drops a commit marker into it, then renames it into place
 * (one atomic rename on HDFS and local file systems). Readers accept only a directory that holds the
 * marker, so a job killed half-way leaves nothing a reader would take for a result.
 */
public final class CommittedOutput {
    public static final String MARKER = "_MLH_COMMITTED";

    private CommittedOutput() {}

    /** What fills a staging directory; returns what its caller reports (e.g. the rows written). */
    public interface Work<T> {
        T write(Path staging) throws IOException;
    }

    /**
     * Writes {@code target} whole or not at all: stages it (refusing an existing target unless
     * overwriting), lets {@code work} fill the staging directory and commits it. On any failure the
     * staging directory is removed and the failure rethrown.
     */
    public static <T> T write(Configuration conf, String target, boolean overwrite, Work<T> work) throws IOException {
        return write(conf, target, overwrite, null, work);
    }

    /**
     * The same for a Spark job's output: on failure it first waits until none of the job's tasks runs
     * ({@link Spark#awaitNoRunningTasks}), since a failed Spark job returns while its other tasks may
     * still create files in the staging directory.
     */
    public static <T> T write(org.apache.spark.sql.SparkSession spark, String target, boolean overwrite, Work<T> work)
            throws IOException {
        return write(
                spark.sparkContext().hadoopConfiguration(),
                target,
                overwrite,
                () -> Spark.awaitNoRunningTasks(spark),
                work);
    }

    private static <T> T write(Configuration conf, String target, boolean overwrite, Runnable settle, Work<T> work)
            throws IOException {
        Path staging = stage(conf, target, overwrite);
        try {
            T result = work.write(staging);
            commit(conf, staging, target);
            return result;
        } catch (IOException | RuntimeException e) {
            if (settle != null) settle.run();
            abandon(conf, staging);
            throw e;
        }
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

    /** Marks {@code staging} complete and moves it to {@code target}, replacing an older output. */
    public static void commit(Configuration conf, Path staging, String target) throws IOException {
        Path t = new Path(target);
        FileSystem fs = t.getFileSystem(conf);
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

    /** Fails unless {@code path} is a committed output. */
    public static Path requireCommitted(Configuration conf, String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) throw new IOException("input " + p + " does not exist");
        if (!fs.exists(new Path(p, MARKER))) {
            throw new IOException(
                    "input " + p + " has no " + MARKER + " marker: it is incomplete or not written by an MLH job");
        }
        return p;
    }
}
