package io.mlh.core.model;

/** What BigDL's model loader takes for {@link GateBalance}'s Scala companion object (see {@link TopKGate$}). */
@SuppressWarnings("checkstyle:TypeName")
public final class GateBalance$ {
    public static final GateBalance$ MODULE$ = new GateBalance$();

    private GateBalance$() {}
}
