package io.mlh.jobs.train;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.FetchFailed;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskEndReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Which executors an optimiser call lost, as the scheduler saw it. An executor counts as lost when
 * Spark removes it, when one of its tasks ends with {@code ExecutorLostFailure}, or when another
 * task cannot fetch its shuffle output ({@code FetchFailed} naming its block manager: BigDL's
 * indeterminate shuffle of the model replicas then aborts the call). Events, not a comparison of the
 * registered block managers before and after a call: a dead executor's block manager can stay listed
 * long after the stage it broke was aborted. A death between two calls counts for the next one.
 */
final class ExecutorLossWatch extends SparkListener implements AutoCloseable {
    /**
     * How long the driver waits after a failed call for an event naming a lost executor before it
     * takes the failure for the job's own: the events trail the failure they explain (the listener
     * bus is asynchronous, and a dying executor's tasks can fail before the driver hears of its death).
     */
    static final long FAILURE_WAIT_MS = 30_000;

    private final SparkContext sc;
    /** Lost and not yet taken by {@link #takeLost}. */
    private final Set<String> lost = new LinkedHashSet<>();
    /** Taken before: the later events of an executor already dealt with (its removal) are no news. */
    private final Set<String> taken = new HashSet<>();

    ExecutorLossWatch(SparkContext sc) {
        this.sc = sc;
        sc.addSparkListener(this);
    }

    /**
     * The executors lost since the last call (deaths between optimiser calls count for the next one),
     * waiting up to {@code waitMs} for at least one: pass the event wait after a failed call, 0 after
     * one that succeeded.
     */
    synchronized Set<String> takeLost(long waitMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        for (long left = waitMs; lost.isEmpty() && left > 0; ) {
            wait(left);
            long ns = deadline - System.nanoTime(); // a monotonic clock; whole milliseconds, rounded up
            left = ns <= 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(ns + 999_999);
        }
        Set<String> out = new LinkedHashSet<>(lost);
        taken.addAll(lost);
        lost.clear();
        return out;
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        add(removed.executorId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        TaskEndReason reason = end.reason();
        if (reason instanceof FetchFailed && ((FetchFailed) reason).bmAddress() != null) {
            add(((FetchFailed) reason).bmAddress().executorId());
        } else if (reason instanceof ExecutorLostFailure) {
            add(((ExecutorLostFailure) reason).execId());
        }
    }

    private synchronized void add(String executor) {
        if (!"driver".equals(executor) && !taken.contains(executor) && lost.add(executor)) notifyAll();
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
