package io.mlh.jobs.serve;

import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.MultiIndexHashing;
import io.mlh.core.search.RankedLists;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.index.LoadedCodes;
import io.mlh.jobs.tables.CodeSplit;
import java.time.Instant;

/**
 * One loaded code table as the service answers from it: immutable, so requests share it without locks,
 * and a reload builds a new one and swaps it in whole ({@link SearchServer}). Exact: the flat scan and
 * multi-index hashing return the same lists, ties by ascending id, as the search job does, re-ranked as
 * it re-ranks them ({@link Refinement}).
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
    /** The second stage of every list. */
    final Refinement refine;

    ServingIndex(LoadedCodes table, CodeSplit split, ServeSettings.Index kind, int substrings, Refinement refine) {
        if (refine.reranks() && table.int8 == null)
            throw new IllegalArgumentException(table.name + " was loaded without its int8 codes: " + refine);
        this.table = table;
        this.split = split;
        this.kind = kind;
        this.refine = refine;
        this.loaded = Instant.now();
        this.multiIndex =
                kind == ServeSettings.Index.MULTI_INDEX ? MultiIndexHashing.build(table.codes, substrings) : null;
        this.searchers = multiIndex == null ? null : ThreadLocal.withInitial(multiIndex::searcher);
    }

    /** Bytes a row takes in memory: the table's ({@link LoadedCodes#bytesPerRow}) and the multi-index's. */
    double bytesPerRow() {
        return table.bytesPerRow() + (multiIndex == null ? 0 : multiIndex.bytesPerCode());
    }

    /** Substrings a code for multi-index hashing, 0 for the flat scan. */
    int substrings() {
        return multiIndex == null ? 0 : multiIndex.substrings();
    }

    /**
     * The nearest rows to {@code code} (packed words of {@link LoadedCodes#bits()} bits): positions and
     * distances, and with re-ranking each one's score against {@code int8} (the query's int8 continuous code).
     */
    Hits search(long[] code, byte[] int8, int k, int maxDistance) {
        int depth = Math.max(k, refine.candidates);
        int[] positions = new int[depth], distances = new int[depth];
        int n;
        if (multiIndex != null) {
            n = searchers.get().search(code, 0, depth, maxDistance, positions, distances);
        } else {
            RankedLists r = new HammingRanker(1).topK(PackedCodes.of(code, 1, table.bits()), table.codes, depth);
            n = 0;
            while (n < r.k() && (maxDistance < 0 || r.distance(0, n) <= maxDistance)) {
                positions[n] = r.index(0, n);
                distances[n] = r.distance(0, n);
                n++;
            }
        }
        if (!refine.reranks()) return new Hits(positions, distances, null, Math.min(k, n));
        int squaredNorm = Int8Codes.dot(int8, 0, int8, 0, int8.length), r = refine.within(n);
        double[] scores = new double[n];
        long[] ids = new long[r];
        for (int i = 0; i < n; i++) scores[i] = table.int8.cosine(positions[i], int8, squaredNorm);
        for (int i = 0; i < r; i++) ids[i] = table.ids[positions[i]];
        int[] best = Refinement.order(scores, ids, r);
        int[] p = positions.clone(), d = distances.clone();
        double[] s = scores.clone();
        for (int i = 0; i < r; i++) {
            positions[i] = p[best[i]];
            distances[i] = d[best[i]];
            scores[i] = s[best[i]];
        }
        return new Hits(positions, distances, scores, Math.min(k, n));
    }

    /** A query's neighbours: positions in {@link #table}, nearest first, with their re-ranking scores (or null). */
    static final class Hits {
        final int[] positions, distances;
        final double[] scores;
        final int size;

        Hits(int[] positions, int[] distances, double[] scores, int size) {
            this.positions = positions;
            this.distances = distances;
            this.scores = scores;
            this.size = size;
        }
    }
}
