package io.mlh.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Typed reads of one section of the config tree. Each read checks the value's type and, where
 * given, its range, and fails with a {@link ConfigError} naming the full key and the value found,
 * so a mistyped setting stops a job before it starts rather than deep inside it.
 */
public final class ConfigReader {
    private final Config section;
    private final String root;

    /** Reads keys of {@code section}, reporting them as {@code root + "." + key}. */
    public ConfigReader(Config section, String root) {
        this.section = section;
        this.root = root;
    }

    /** The full key, as errors and users spell it. */
    public String full(String key) {
        return root + "." + key;
    }

    /** A declared key's value, its type, range and checks passed. */
    public <T> T get(Key<T> key) {
        return key.read(this);
    }

    /** An error about {@code key}. */
    public ConfigError error(String key, String problem) {
        return new ConfigError(full(key), problem);
    }

    public int integer(String key) {
        return integer(key, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** An integer of at least {@code min}. */
    public int integer(String key, int min) {
        return integer(key, min, Integer.MAX_VALUE);
    }

    /** An integer in {@code min..max}. */
    public int integer(String key, int min, int max) {
        long v = longInteger(key);
        if (v < min || v > max) throw error(key, "must be " + range(min, max) + ", got " + v);
        return (int) v;
    }

    public long longInteger(String key) {
        try {
            double v = section.getNumber(key).doubleValue();
            // getInt would silently truncate 64.5 to 64
            if (v != Math.rint(v)) throw error(key, "must be an integer, got " + rendered(key));
            return section.getLong(key);
        } catch (ConfigException e) {
            throw wrongType(key, "an integer", e);
        }
    }

    public double number(String key) {
        try {
            return section.getDouble(key);
        } catch (ConfigException e) {
            throw wrongType(key, "a number", e);
        }
    }

    /** A number of at least {@code min} (NaN refused). */
    public double number(String key, double min) {
        double v = number(key);
        if (!(v >= min)) throw error(key, "must be >= " + min + ", got " + v);
        return v;
    }

    public boolean bool(String key) {
        try {
            return section.getBoolean(key);
        } catch (ConfigException e) {
            throw wrongType(key, "true or false", e);
        }
    }

    public String string(String key) {
        try {
            return section.getString(key);
        } catch (ConfigException e) {
            throw wrongType(key, "a string", e);
        }
    }

    /** A size in bytes ("256M", "1g" or a number), at least {@code min}. */
    public long bytes(String key, long min) {
        long v;
        try {
            v = section.getBytes(key);
        } catch (ConfigException e) {
            throw wrongType(key, "a size in bytes (e.g. 256M)", e);
        }
        if (v < min) throw error(key, "must be >= " + min + " bytes, got " + v);
        return v;
    }

    /** A non-negative duration ("15s", "500ms") in milliseconds. */
    public long millis(String key) {
        long v;
        try {
            v = section.getDuration(key, TimeUnit.MILLISECONDS);
        } catch (ConfigException e) {
            throw wrongType(key, "a duration (e.g. 15s)", e);
        }
        if (v < 0) throw error(key, "must be >= 0, got " + rendered(key));
        return v;
    }

    /** A list of integers, each at least {@code min}. */
    public List<Integer> integers(String key, int min) {
        List<Integer> values;
        try {
            values = section.getIntList(key);
        } catch (ConfigException e) {
            throw wrongType(key, "a list of integers", e);
        }
        for (int v : values) if (v < min) throw error(key, "values must be >= " + min + ", got " + v);
        return Collections.unmodifiableList(new ArrayList<>(values));
    }

    public List<Double> numbers(String key) {
        try {
            return Collections.unmodifiableList(new ArrayList<>(section.getDoubleList(key)));
        } catch (ConfigException e) {
            throw wrongType(key, "a list of numbers", e);
        }
    }

    public List<String> strings(String key) {
        try {
            return Collections.unmodifiableList(new ArrayList<>(section.getStringList(key)));
        } catch (ConfigException e) {
            throw wrongType(key, "a list of strings", e);
        }
    }

    /** The constant of {@code type} spelled by the value (case-insensitive); the error lists the choices. */
    public <E extends Enum<E> & ConfigChoice> E choice(String key, Class<E> type) {
        return choice(type, full(key), string(key));
    }

    /** The constant of {@code type} spelled {@code value}; errors name {@code fullKey}. */
    public static <E extends Enum<E> & ConfigChoice> E choice(Class<E> type, String fullKey, String value) {
        String wanted = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            if (e.configName().equals(wanted)) return e;
            allowed.add(e.configName());
        }
        throw new ConfigError(fullKey, "unknown value '" + value + "', expected one of " + String.join(", ", allowed));
    }

    private static String range(long min, long max) {
        if (max == Integer.MAX_VALUE) return ">= " + min;
        if (min == Integer.MIN_VALUE) return "<= " + max;
        return "in " + min + ".." + max;
    }

    private String rendered(String key) {
        return section.hasPathOrNull(key) && !section.getIsNull(key)
                ? section.getValue(key).render(ConfigRenderOptions.concise())
                : "null";
    }

    private ConfigError wrongType(String key, String expected, ConfigException e) {
        ConfigError error = error(key, "must be " + expected + ", got " + rendered(key));
        error.initCause(e);
        return error;
    }
}
