package io.mlh.core.config;

/** A configuration that cannot be used; the message names the offending key. */
public final class ConfigError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigError(String key, String problem) {
        super("config key '" + key + "': " + problem);
    }
}
