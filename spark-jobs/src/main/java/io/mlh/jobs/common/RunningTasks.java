package io.mlh.jobs.common;

import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Counts the tasks of one Spark application that have started and not ended, from the listener events
 * themselves. Spark's status tracker is not enough: it reads a store the UI updates at most every
 * {@code spark.ui.liveUpdate.period}, so a task that has just started can show as none running.
 */
final class RunningTasks extends SparkListener {
    private static final Map<SparkContext, RunningTasks> WATCHES = new WeakHashMap<>();
    /** Ids of the tasks seen starting and not yet ending (an end without a start seen is ignored). */
    private final Set<Long> running = ConcurrentHashMap.newKeySet();

    private RunningTasks() {}

    /** The counter of {@code sc}'s tasks, registered on the first call: make it before any task runs. */
    static RunningTasks of(SparkContext sc) {
        synchronized (WATCHES) {
            return WATCHES.computeIfAbsent(sc, c -> {
                RunningTasks watch = new RunningTasks();
                c.addSparkListener(watch);
                return watch;
            });
        }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        running.add(start.taskInfo().taskId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        running.remove(end.taskInfo().taskId());
    }

    /**
     * Waits until every event posted so far has reached the listeners and no counted task runs; gives
     * up after {@code timeoutMillis} (a task stuck that long is one the caller cannot wait for anyway).
     * Whether no task runs.
     */
    boolean awaitNone(SparkContext sc, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        try {
            // the task-start events of every task launched before the failure precede its job-end event
            sc.listenerBus().waitUntilEmpty(timeoutMillis);
        } catch (TimeoutException e) {
            return false;
        }
        while (!running.isEmpty() && System.nanoTime() < end) Thread.sleep(20);
        return running.isEmpty();
    }
}
