package io.mlh.jobs.source;

import io.mlh.jobs.source.SourceSettings.BadRecordPolicy;
import java.util.ArrayList;
import java.util.List;

/** The driver's side of the bad-record policy: fail at the first one, or keep them for the rejects table. */
final class BadRecords {
    private final BadRecordPolicy policy;
    final List<Reject> rejected = new ArrayList<>();

    BadRecords(BadRecordPolicy policy) {
        this.policy = policy;
    }

    void reject(Reject r) {
        if (policy == BadRecordPolicy.FAIL) throw new BadRecordException(r);
        rejected.add(r);
    }

    void reject(String source, String reason) {
        reject(new Reject(source, reason));
    }
}
