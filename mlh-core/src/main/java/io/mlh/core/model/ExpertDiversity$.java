package io.mlh.core.model;

/** What BigDL's model loader takes for {@link ExpertDiversity}'s Scala companion object (see {@link TopKGate$}). */
@SuppressWarnings("checkstyle:TypeName")
public final class ExpertDiversity$ {
    public static final ExpertDiversity$ MODULE$ = new ExpertDiversity$();

    private ExpertDiversity$() {}
}
