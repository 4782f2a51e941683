package io.mlh.core.config;

import java.util.Locale;

/**
 * An enum whose constants are config values, spelled in lower case with hyphens ({@code
 * RESNET_50} is "resnet-50"). {@link ConfigReader#choice} reads one; {@link #configName} writes it.
 */
public interface ConfigChoice {
    /** Implemented by every enum. */
    String name();

    /** The config spelling of this constant. */
    default String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
