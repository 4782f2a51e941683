package io.mlh.jobs.common;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import io.mlh.core.bigdl.BigDL;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.DigestInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.IOUtils;

/**
 * BigDL's model and optimiser files at Hadoop paths. BigDL's own file I/O closes the file system it
 * used, which for {@code hdfs://} is the JVM's shared, cached instance: every other holder of it (Spark,
 * our committed outputs) then fails with "Filesystem closed". So BigDL only ever reads and writes a
 * local temporary file, and the bytes move to and from the Hadoop path here.
 */
public final class BigDLFiles {
    private BigDLFiles() {}

    /** Writes {@code net} in BigDL's protobuf format to {@code target}; returns the file's SHA-256 (hex). */
    public static String saveModule(Configuration conf, AbstractModule<Activity, Activity, Float> net, Path target)
            throws IOException {
        java.nio.file.Path local = Files.createTempFile("mlh-model-", ".bigdl");
        try {
            net.saveModule(local.toUri().toString(), null, true);
            return upload(conf, local, target);
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /**
     * Reads a model in BigDL's protobuf format (BigDL's {@code ModuleLoader}: no Java deserialisation)
     * from {@code source}, refusing it unless its bytes have the SHA-256 {@code expectedSha256} (hex;
     * null: no check). The bytes checked are the bytes loaded.
     */
    public static AbstractModule<Activity, Activity, Float> loadModule(
            Configuration conf, Path source, String expectedSha256) throws IOException {
        java.nio.file.Path local = Files.createTempFile("mlh-model-", ".bigdl");
        try {
            requireSha256(source, download(conf, source, local), expectedSha256);
            try {
                return BigDL.loadModule(local.toUri().toString());
            } catch (Exception e) { // the protobuf parser's own exceptions, or a layer it cannot rebuild
                throw new IOException("model " + source + " is not a model in BigDL's protobuf format: " + e, e);
            }
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /** Writes an optimiser's state (its moments and counters) to {@code target}; returns the file's SHA-256 (hex). */
    public static String saveOptimMethod(Configuration conf, OptimMethod<Float> optim, Path target) throws IOException {
        java.nio.file.Path local = Files.createTempFile("mlh-optim-", ".state");
        try {
            optim.save(local.toUri().toString(), true);
            return upload(conf, local, target);
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /**
     * Reads an optimiser's state. BigDL stores it with Java serialisation, which runs code named by the
     * file: so only a file whose SHA-256 is {@code expectedSha256} (recorded by the job that wrote it) is
     * deserialised.
     */
    public static OptimMethod<Float> loadOptimMethod(Configuration conf, Path source, String expectedSha256)
            throws IOException {
        if (expectedSha256 == null)
            throw new IllegalArgumentException("an optimiser state is only read against its checksum");
        java.nio.file.Path local = Files.createTempFile("mlh-optim-", ".state");
        try {
            requireSha256(source, download(conf, source, local), expectedSha256);
            return BigDL.loadOptimMethod(local.toUri().toString());
        } finally {
            Files.deleteIfExists(local);
        }
    }

    private static void requireSha256(Path file, String actual, String expected) throws IOException {
        if (expected != null && !expected.equals(actual)) {
            throw new IOException(file + " has SHA-256 " + actual + " but its metadata says " + expected
                    + ": the file does not belong to this metadata");
        }
    }

    /** Copies a local file to a Hadoop path; returns the SHA-256 of the bytes copied. */
    private static String upload(Configuration conf, java.nio.file.Path local, Path target) throws IOException {
        FileSystem fs = target.getFileSystem(conf);
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(local), Sha256.digest());
                OutputStream out = fs.create(target, true)) {
            IOUtils.copyBytes(in, out, 1 << 16, false);
            return Sha256.hex(in.getMessageDigest());
        }
    }

    /** Copies a Hadoop file to a local one; returns the SHA-256 of the bytes copied. */
    private static String download(Configuration conf, Path source, java.nio.file.Path local) throws IOException {
        FileSystem fs = source.getFileSystem(conf);
        try (DigestInputStream in = new DigestInputStream(fs.open(source), Sha256.digest());
                OutputStream out = Files.newOutputStream(local)) {
            IOUtils.copyBytes(in, out, 1 << 16, false);
            return Sha256.hex(in.getMessageDigest());
        } catch (ChecksumException e) {
            throw new IOException(source + " is corrupt: its file-system checksum fails", e);
        }
    }
}
