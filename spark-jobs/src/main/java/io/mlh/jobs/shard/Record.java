package io.mlh.jobs.shard;

import java.io.Serializable;

/**
 * One catalogue entry: what the driver knows about a record before its image is read. Executors
 * receive these (one shard's worth per task) and turn them into shard-table rows.
 */
final class Record implements Serializable {
    private static final long serialVersionUID = 1L;

    final long id;
    final String split;
    final boolean train;
    /** Multi-hot; single-label sources share one array per class (they are never modified). */
    final int[] labels;
    /** The image file, or the IDX images file. */
    final String path;
    /** The record's position in its IDX file; -1 for image files. */
    final int index;
    /** Where a list-file record was declared ({@code <list file>:<line>}); null for other sources. */
    final String origin;

    private Record(long id, String split, boolean train, int[] labels, String path, int index, String origin) {
        this.id = id;
        this.split = split;
        this.train = train;
        this.labels = labels;
        this.path = path;
        this.index = index;
        this.origin = origin;
    }

    /** A record not yet numbered or split. */
    static Record of(String path, int index, int[] labels, String origin) {
        return new Record(-1, null, false, labels, path, index, origin);
    }

    Record placed(long id, String split, boolean train) {
        return new Record(id, split, train, labels, path, index, origin);
    }

    /** The shard table's {@code source} column. */
    String source() {
        return index < 0 ? path : path + "#" + index;
    }

    /** A rejection of this record: list-file records are named by their line, the image in the reason. */
    Reject reject(String reason) {
        return origin == null ? new Reject(source(), reason) : new Reject(origin, reason + " (image " + path + ")");
    }
}
