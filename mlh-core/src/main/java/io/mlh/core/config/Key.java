package io.mlh.core.config;

import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One config key, declared once: its name (below {@code mlh}), its type and range, and the checks a
 * value alone can fail, each with the wording of its error. The default and the meaning live beside
 * the key in {@code reference.conf}, the one list users read ({@link KeyDocs} shows them);
 * {@link ConfigReader#get} reads a declared key. Checks that involve several keys stay with the
 * settings that read them.
 *
 * <pre>
 * static final Key&lt;Integer&gt; K = Key.integer("jobs.search.k", 1);
 * int k = reader.get(K);
 * </pre>
 */
public final class Key<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How a key's value is read and type-checked. */
    @FunctionalInterface
    public interface Reading<T> extends Serializable {
        T read(ConfigReader r, String name);
    }

    /** A check of one value: null when it passes, else what is wrong ("must be ..., got ..."). */
    @FunctionalInterface
    public interface Check<T> extends Serializable {
        String problem(T value);
    }

    private final String name;
    private final Reading<T> reading;
    private final List<Check<T>> checks;

    private Key(String name, Reading<T> reading, List<Check<T>> checks) {
        this.name = Objects.requireNonNull(name);
        this.reading = reading;
        this.checks = checks;
    }

    /** A key read by {@code reading} (which checks its type and range). */
    public static <T> Key<T> of(String name, Reading<T> reading) {
        return new Key<>(name, reading, Collections.emptyList());
    }

    /** The same key with one more check. */
    public Key<T> check(Check<T> check) {
        List<Check<T>> all = new ArrayList<>(checks);
        all.add(check);
        return new Key<>(name, reading, Collections.unmodifiableList(all));
    }

    /** The name below {@code mlh}, as profiles and overrides may spell it ("jobs.search.k"). */
    public String name() {
        return name;
    }

    /** The full name ("mlh.jobs.search.k"), as errors spell it. */
    public String fullName() {
        return MlhConfig.ROOT + "." + name;
    }

    /** The value {@code r} holds for this key, type, range and checks passed; else a {@link ConfigError} naming it. */
    T read(ConfigReader r) {
        T value = reading.read(r, name);
        for (Check<T> c : checks) {
            String problem = c.problem(value);
            if (problem != null) throw r.error(name, problem);
        }
        return value;
    }

    /**
     * The keys {@code holder} declares as static fields, in declaration order: the one list of a
     * settings class's keys, for reading them all and for --help.
     */
    public static List<Key<?>> declaredIn(Class<?> holder) {
        List<Key<?>> keys = new ArrayList<>();
        for (Field f : holder.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != Key.class) continue;
            try {
                f.setAccessible(true);
                Key<?> k = (Key<?>) f.get(null);
                if (k == null)
                    throw new IllegalStateException(
                            holder.getName() + "." + f.getName() + " is read before it is declared");
                keys.add(k);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return Collections.unmodifiableList(keys);
    }

    @Override
    public String toString() {
        return fullName();
    }

    // ------------------------------------------------------------------ the types

    public static Key<Integer> integer(String name) {
        return of(name, ConfigReader::integer);
    }

    /** An integer of at least {@code min}. */
    public static Key<Integer> integer(String name, int min) {
        return of(name, (r, n) -> r.integer(n, min));
    }

    /** An integer in {@code min..max}. */
    public static Key<Integer> integer(String name, int min, int max) {
        return of(name, (r, n) -> r.integer(n, min, max));
    }

    public static Key<Long> longInteger(String name) {
        return of(name, ConfigReader::longInteger);
    }

    public static Key<Double> number(String name) {
        return of(name, ConfigReader::number);
    }

    /** A number of at least {@code min}. */
    public static Key<Double> number(String name, double min) {
        return of(name, (r, n) -> r.number(n, min));
    }

    public static Key<Boolean> bool(String name) {
        return of(name, ConfigReader::bool);
    }

    public static Key<String> string(String name) {
        return of(name, ConfigReader::string);
    }

    /** A size in bytes ("64M"), at least {@code min}. */
    public static Key<Long> bytes(String name, long min) {
        return of(name, (r, n) -> r.bytes(n, min));
    }

    /** A duration ("15s") in milliseconds, at least {@code min}. */
    public static Key<Long> millis(String name, long min) {
        return of(name, ConfigReader::millis)
                .check(v -> v >= min ? null : "must be at least " + min + "ms, got " + v + "ms");
    }

    /** One of {@code type}'s constants, spelt as {@link ConfigChoice#configName()}. */
    public static <E extends Enum<E> & ConfigChoice> Key<E> choice(String name, Class<E> type) {
        return of(name, (r, n) -> r.choice(n, type));
    }

    /** A list of integers, each at least {@code min}. */
    public static Key<List<Integer>> integers(String name, int min) {
        return of(name, (r, n) -> r.integers(n, min));
    }

    public static Key<List<Double>> numbers(String name) {
        return of(name, ConfigReader::numbers);
    }

    public static Key<List<String>> strings(String name) {
        return of(name, ConfigReader::strings);
    }
}
