package io.mlh.jobs.common;

import io.mlh.core.config.ConfigError;
import io.mlh.core.config.Key;
import io.mlh.core.config.KeyDocs;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A job's command line: {@code [config.conf | -] [key=value ...]}, {@code --help} with the keys it
 * reads (their defaults and meanings from reference.conf), and errors as users should see them. A user
 * error (an unknown or mistyped key, a missing, uncommitted or existing path, a bad record) ends with
 * one line saying what is wrong and exit status 2; anything else is a fault, reported with its stack
 * trace and status 1. {@code MLH_STACK_TRACE=1} shows the stack trace of user errors too.
 */
public final class Command {
    /** Exit statuses: a user error, and a fault of the job or its platform. */
    public static final int USER_ERROR = 2, FAULT = 1;

    public static final String STACK_TRACE_VARIABLE = "MLH_STACK_TRACE";

    /** What the command does once its settings are read. */
    @FunctionalInterface
    public interface Body {
        void run(JobSettings settings) throws Exception;
    }

    private final String name, jar, mainClass, summary;
    private final List<Key<?>> keys;

    /**
     * @param name how messages name the job ("mlh-encode")
     * @param jar the jar it ships in, and whose default main class it may be
     * @param main its main class
     * @param summary what it does, in a sentence or two
     * @param keys the keys it reads, in the order --help lists them
     */
    public Command(String name, String jar, Class<?> main, String summary, List<Key<?>> keys) {
        this.name = name;
        this.jar = jar;
        this.mainClass = main.getName();
        this.summary = summary;
        this.keys = Collections.unmodifiableList(new ArrayList<>(new LinkedHashSet<>(keys)));
    }

    /** The keys that {@code holders} declare (settings classes), then {@code more}: a command's list. */
    public static List<Key<?>> keys(List<Class<?>> holders, Key<?>... more) {
        List<Key<?>> all = new ArrayList<>();
        for (Class<?> h : holders) all.addAll(Key.declaredIn(h));
        all.addAll(Arrays.asList(more));
        return all;
    }

    public String name() {
        return name;
    }

    /** The keys --help lists. */
    public List<Key<?>> keys() {
        return keys;
    }

    /** What --help prints. */
    public String usage() {
        return "usage: spark-submit --class " + mainClass + " " + jar + " <config.conf | -> [key=value ...]\n\n"
                + summary + "\n\n"
                + "config.conf: a HOCON profile (conf/*.conf); \"-\": the defaults alone. key=value: an override,\n"
                + "later ones winning; the \"mlh.\" prefix is optional. On a user error the job prints one line and\n"
                + "exits " + USER_ERROR + " (" + STACK_TRACE_VARIABLE + "=1 adds the stack trace).\n\n"
                + "Keys read (default, then meaning; reference.conf lists every key):\n"
                + KeyDocs.reference().describe(keys);
    }

    /** Runs {@code body} on the settings the arguments give, and exits with its status when it is not 0. */
    public void main(String[] args, Body body) {
        int status = execute(args, body, System.out, System.err, System.getenv(STACK_TRACE_VARIABLE) != null);
        if (status != 0) System.exit(status);
    }

    /** The same without exiting: the exit status. */
    public int execute(String[] args, Body body, PrintStream out, PrintStream err, boolean stackTraces) {
        List<String> all = Arrays.asList(args);
        if (all.contains("--help") || all.contains("-h")) {
            out.print(usage());
            return 0;
        }
        if (all.isEmpty()) {
            err.print(usage());
            err.println("\n" + name + ": no arguments: give a config file, or - for the defaults");
            return USER_ERROR;
        }
        try {
            body.run(JobSettings.fromArgs(args));
            return 0;
        } catch (Throwable t) {
            String problem = userError(t);
            if (problem == null || stackTraces) t.printStackTrace(err);
            err.println(name + ": " + (problem != null ? problem : "failed: " + t));
            return problem != null ? USER_ERROR : FAULT;
        }
    }

    /**
     * What a user has to fix, when {@code failure} (or what caused it, across a failed Spark job) is a
     * user error: a config error, a bad input or record this project refused, or an I/O error naming a
     * path; null for anything else.
     */
    public static String userError(Throwable failure) {
        Set<Throwable> seen = new LinkedHashSet<>();
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof ConfigError || t instanceof IOException) return t.getMessage();
            if (t instanceof IllegalArgumentException && thrownHere(t)) return t.getMessage();
        }
        return null;
    }

    /** Thrown by this project's code, not a library's own check (BigDL's "requirement failed", ...). */
    private static boolean thrownHere(Throwable t) {
        StackTraceElement[] at = t.getStackTrace();
        return at.length > 0 && at[0].getClassName().startsWith("io.mlh.");
    }
}
