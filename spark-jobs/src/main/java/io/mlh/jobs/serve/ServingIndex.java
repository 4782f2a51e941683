package io.mlh.jobs.serve;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.MultiIndexHashing;
import io.mlh.core.search.RankedLists;
import io.mlh.jobs.index.LoadedCodes;
import io.mlh.jobs.tables.CodeSplit;
import java.time.Instant;

/**
 * One loaded code table as the service answers from it: immutable, so requests share it without locks,
 * and a reload builds a new one and swaps it in whole ({@link SearchServer}). Exact: the flat scan and
 * multi-index hashing return the same lists, ties by ascending id, as the search job does.
 */
final class ServingIndex {
    final LoadedCodes table;
    /** The split it was loaded from: its name, bits and provenance. */
    final CodeSplit split;

    final ServeSettings.Index kind;
    final Instant loaded;
    /** Null for the flat scan. */
    private final MultiIndexHashing multiIndex;

    private final ThreadLocal<MultiIndexHashing.Searcher> searchers;

    ServingIndex(LoadedCodes table, CodeSplit split, ServeSettings.Index kind, int substrings) {
        this.table = table;
        this.split = split;
        this.kind = kind;
        this.loaded = Instant.now();
        this.multiIndex =
                kind == ServeSettings.Index.MULTI_INDEX ? MultiIndexHashing.build(table.codes, substrings) : null;
        this.searchers = multiIndex == null ? null : ThreadLocal.withInitial(multiIndex::searcher);
    }

    /** Substrings a code for multi-index hashing, 0 for the flat scan. */
    int substrings() {
        return multiIndex == null ? 0 : multiIndex.substrings();
    }

    /** The nearest rows to {@code code} (packed words of {@link LoadedCodes#bits()} bits): positions and distances. */
    Hits search(long[] code, int k, int maxDistance) {
        int[] positions = new int[k], distances = new int[k];
        int n;
        if (multiIndex != null) {
            n = searchers.get().search(code, 0, k, maxDistance, positions, distances);
        } else {
            RankedLists r = new HammingRanker(1).topK(PackedCodes.of(code, 1, table.bits()), table.codes, k);
            n = 0;
            while (n < r.k() && (maxDistance < 0 || r.distance(0, n) <= maxDistance)) {
                positions[n] = r.index(0, n);
                distances[n] = r.distance(0, n);
                n++;
            }
        }
        return new Hits(positions, distances, n);
    }

    /** A query's neighbours: positions in {@link #table}, nearest first. */
    static final class Hits {
        final int[] positions, distances;
        final int size;

        Hits(int[] positions, int[] distances, int size) {
            this.positions = positions;
            this.distances = distances;
            this.size = size;
        }
    }
}
