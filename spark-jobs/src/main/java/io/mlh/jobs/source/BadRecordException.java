package io.mlh.jobs.source;

/** A record the shard job cannot use, under {@code data.on-bad-record = fail}: names the record and the reason. */
public final class BadRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final String source, reason;

    public BadRecordException(Reject r) {
        super("bad record " + r.source + ": " + r.reason
                + " (with data.on-bad-record=skip such records go to the rejects table instead)");
        this.source = r.source;
        this.reason = r.reason;
    }
}
