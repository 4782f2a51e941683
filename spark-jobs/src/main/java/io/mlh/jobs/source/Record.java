package io.mlh.jobs.source;

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
    /** Multi-hot; records with equal labels share one array (they are never modified). */
    final int[] labels;
    /** The image file, or the IDX images file. */
    final String path;
    /** The record's position in its IDX file; -1 for image files. */
    final int index;
    /**
     * Where a list-file record was declared: the list file (one string shared by its records: a
     * 1.3 M-line list keeps no string a line for this) and the line; null and 0 for other sources.
     */
    final String listFile;

    final int line;

    private Record(
            long id, String split, boolean train, int[] labels, String path, int index, String listFile, int line) {
        this.id = id;
        this.split = split;
        this.train = train;
        this.labels = labels;
        this.path = path;
        this.index = index;
        this.listFile = listFile;
        this.line = line;
    }

    /** A record not yet numbered or split, of an IDX file or an image file. */
    static Record of(String path, int index, int[] labels) {
        return new Record(-1, null, false, labels, path, index, null, 0);
    }

    /** A record not yet numbered or split, declared at {@code line} of {@code listFile}. */
    static Record listed(String path, int[] labels, String listFile, int line) {
        return new Record(-1, null, false, labels, path, -1, listFile, line);
    }

    Record placed(long id, String split, boolean train) {
        return new Record(id, split, train, labels, path, index, listFile, line);
    }

    /** Where a list-file record was declared ({@code <list file>:<line>}); null for other sources. */
    String origin() {
        return listFile == null ? null : listFile + ":" + line;
    }

    /** The shard table's {@code source} column. */
    String source() {
        return index < 0 ? path : path + "#" + index;
    }

    /** A rejection of this record: list-file records are named by their line, the image in the reason. */
    Reject reject(String reason) {
        return listFile == null ? new Reject(source(), reason) : new Reject(origin(), reason + " (image " + path + ")");
    }
}
