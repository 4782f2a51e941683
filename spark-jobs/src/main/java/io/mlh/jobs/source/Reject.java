package io.mlh.jobs.source;

import java.io.Serializable;

/** A record the shard job refused, and why: a row of the rejects table. */
public final class Reject implements Serializable {
    private static final long serialVersionUID = 1L;
    public final String source, reason;

    public Reject(String source, String reason) {
        this.source = source;
        this.reason = reason;
    }

    @Override
    public String toString() {
        return source + ": " + reason;
    }
}
