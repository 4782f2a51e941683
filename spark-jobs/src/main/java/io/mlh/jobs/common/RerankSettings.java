package io.mlh.jobs.common;

import io.mlh.core.config.ConfigChoice;
import io.mlh.core.config.ConfigReader;
import io.mlh.core.config.Key;
import io.mlh.core.search.Refinement;

/**
 * The second retrieval stage ({@code mlh.jobs.rerank.*}, reference.conf says what each key means): one
 * set of keys for every job that ranks, so that a configuration ranks alike wherever it runs.
 */
public final class RerankSettings {
    /** none: the Hamming order; refine: its first {@code candidates} reordered by the int8 continuous codes' cosine. */
    public enum Mode implements ConfigChoice {
        NONE,
        REFINE
    }

    public static final Key<Mode> MODE = Key.choice("jobs.rerank.mode", Mode.class);
    public static final Key<Integer> CANDIDATES = Key.integer("jobs.rerank.candidates", 1);

    private RerankSettings() {}

    /** The re-ranking a job's settings ask for. */
    public static Refinement of(JobSettings s) {
        ConfigReader r = s.model.reader();
        return r.get(MODE) == Mode.REFINE ? Refinement.top(r.get(CANDIDATES)) : Refinement.NONE;
    }
}
