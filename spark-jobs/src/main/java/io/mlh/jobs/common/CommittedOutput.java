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

    /** A fresh staging directory beside {@code target}; refuses an existing target unless overwriting. */
    public static Path stage(Configuration conf, String target, boolean overwrite) throws IOException {
        Path t = new Path(target);
        FileSystem fs = t.getFileSystem(conf);
        if (fs.exists(t) && !overwrite) {
            throw new IOException("output " + t + " already exists; set jobs.overwrite=true to replace it");
        }
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
            throw new IOException("input " + p + " has no " + MARKER + " marker: it is incomplete or not written by an MLH job");
        }
        return p;
    }
}
