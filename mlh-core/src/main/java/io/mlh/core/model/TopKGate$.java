package io.mlh.core.model;

/**
 * What BigDL's model loader takes for {@link TopKGate}'s Scala companion object: it reflects on the
 * companion of every layer it loads (for default parameter values; {@link TopKGate} has none).
 */
@SuppressWarnings("checkstyle:TypeName")
public final class TopKGate$ {
    public static final TopKGate$ MODULE$ = new TopKGate$();

    private TopKGate$() {}
}
