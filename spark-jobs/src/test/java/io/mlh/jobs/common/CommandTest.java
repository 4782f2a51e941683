package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.config.Key;
import io.mlh.core.config.KeyDocs;
import io.mlh.jobs.encode.EncodeJob;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's command line as a user meets it: --help, no arguments, user errors in one line, faults in full. */
class CommandTest {
    private static final Command ENCODE = EncodeJob.COMMAND;

    /** What one execution printed and returned. */
    private static final class Outcome {
        final int status;
        final String out, err;

        Outcome(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }

        List<String> errLines() {
            return Arrays.asList(err.trim().split("\n"));
        }
    }

    private static Outcome execute(Command.Body body, boolean traces, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, "UTF-8");
                PrintStream e = new PrintStream(err, true, "UTF-8")) {
            status = ENCODE.execute(args, body, o, e, traces);
        } catch (IOException impossible) {
            throw new AssertionError(impossible);
        }
        return new Outcome(
                status,
                new String(out.toByteArray(), StandardCharsets.UTF_8),
                new String(err.toByteArray(), StandardCharsets.UTF_8));
    }

    private static Outcome execute(Command.Body body, String... args) {
        return execute(body, false, args);
    }

    private static final Command.Body UNREACHED = s -> {
        throw new AssertionError("the body ran");
    };

    @Test
    void helpListsEveryKeyTheJobReadsWithItsDefaultAndMeaning() {
        Outcome o = execute(UNREACHED, "--help");
        assertEquals(0, o.status);
        assertTrue(o.out.startsWith("usage: spark-submit --class io.mlh.jobs.encode.EncodeJob mlh-encode.jar"), o.out);
        KeyDocs docs = KeyDocs.reference();
        for (Key<?> k : ENCODE.keys()) {
            assertTrue(o.out.contains("\n  " + k.name() + " = " + docs.defaultValue(k) + "\n"), k + " in\n" + o.out);
        }
        assertTrue(o.out.contains("jobs.encode.batch-size = 64\n      images a forward pass"), o.out);
        assertTrue(ENCODE.keys().size() >= 20, "keys listed: " + ENCODE.keys().size());
        assertEquals(0, execute(UNREACHED, "conf/x.conf", "-h").status);
    }

    @Test
    void noArgumentsPrintTheUsageAndFail() {
        Outcome o = execute(UNREACHED);
        assertEquals(Command.USER_ERROR, o.status);
        assertTrue(o.err.startsWith("usage: "), o.err);
        assertTrue(o.err.trim().endsWith("mlh-encode: no arguments: give a config file, or - for the defaults"), o.err);
    }

    @Test
    void aMisspeltKeyIsOneLineNamingTheKey() {
        Outcome o = execute(UNREACHED, "-", "bitz=32");
        assertEquals(Command.USER_ERROR, o.status);
        assertEquals(
                Arrays.asList("mlh-encode: config key 'mlh.bitz': unknown key; did you mean 'mlh.bits'?"),
                o.errLines(),
                o.err);
        Outcome file = execute(UNREACHED, "no/such.conf");
        assertEquals(Arrays.asList("mlh-encode: config file no/such.conf does not exist"), file.errLines());
    }

    @Test
    void aMissingInputIsOneLineWhateverWrapsIt(@TempDir Path dir) {
        SparkSession spark =
                Spark.start("command-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        try {
            Outcome missing = execute(s -> EncodeJob.run(spark, s), "-", "paths.model=" + dir.resolve("none"));
            assertEquals(Command.USER_ERROR, missing.status);
            assertEquals(
                    Arrays.asList("mlh-encode: input " + dir.resolve("none") + " does not exist"), missing.errLines());
        } finally {
            spark.stop(); // the next test class starts a session of its own
        }

        IllegalArgumentException bad = new IllegalArgumentException("x.jpg: not a JPEG");
        bad.setStackTrace(
                new StackTraceElement[] {new StackTraceElement("io.mlh.jobs.images.ImageCodec", "inspect", "", 1)});
        Outcome record = execute(
                s -> {
                    throw new SparkException("Job aborted.", bad);
                },
                "-");
        assertEquals(Arrays.asList("mlh-encode: x.jpg: not a JPEG"), record.errLines());
    }

    @Test
    void faultsKeepTheirStackTraceAndUserErrorsOnlyWhenAsked() {
        Outcome fault = execute(
                s -> {
                    throw new IllegalStateException("a bug");
                },
                "-");
        assertEquals(Command.FAULT, fault.status);
        assertTrue(fault.err.contains("\tat io.mlh.jobs.common.CommandTest"), fault.err);
        assertTrue(fault.err.trim().endsWith("mlh-encode: failed: java.lang.IllegalStateException: a bug"), fault.err);

        Outcome library = execute(s -> scala.Predef.require(false), "-"); // a library's own check
        assertEquals(Command.FAULT, library.status, library.err);

        Outcome traced = execute(UNREACHED, true, "-", "bitz=32");
        assertEquals(Command.USER_ERROR, traced.status);
        assertTrue(traced.err.contains("\tat io.mlh.core.config.MlhConfig"), traced.err);
        assertFalse(execute(UNREACHED, "-", "bitz=32").err.contains("\tat "));
    }
}
