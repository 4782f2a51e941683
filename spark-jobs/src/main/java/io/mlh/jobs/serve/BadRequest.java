package io.mlh.jobs.serve;

/** A request the service refuses: its HTTP status (4xx) and the reason, sent back as JSON. */
final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String reason) {
        super(reason);
        this.status = status;
    }
}
