package io.mlh.jobs.common;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.log4j.Logger;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * Progress of one distributed pass, logged as {@code encode: 12,800 / 70,000 images (18%), 415 images/s,
 * ETA 1 min 54 s}. Tasks add what they finish to {@link #counter()}; the driver sees finished tasks' counts
 * at once and running tasks' counts with each executor heartbeat ({@code spark.executor.heartbeatInterval}),
 * so a line reflects work inside long tasks too. A line is logged at most every {@code jobs.progress-interval}
 * (from a timer, and when a task ends), and once more on {@link #close()} with the pass's total rate.
 */
public final class Progress extends SparkListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Progress.class);

    private final SparkContext sc;
    private final String what, unit;
    private final long total, intervalMillis, started = System.nanoTime();
    private final LongAccumulator counter;
    /** Counts of running tasks from their executors' heartbeats, by task id. */
    private final Map<Long, Long> running = new ConcurrentHashMap<>();

    private final Thread timer;
    private long lastLine = System.nanoTime();
    private long lastLogged = -1;
    private volatile boolean closed;

    private Progress(SparkContext sc, String what, String unit, long total, long intervalMillis) {
        this.sc = sc;
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.intervalMillis = intervalMillis;
        this.counter = sc.longAccumulator("mlh.progress." + what);
        sc.addSparkListener(this);
        timer = new Thread(this::tick, "mlh-progress-" + what);
        timer.setDaemon(true);
        timer.start();
    }

    /** Starts tracking a pass over {@code total} units (0 or less: unknown, no percentage or ETA). */
    public static Progress start(SparkContext sc, String what, String unit, long total, long intervalMillis) {
        return new Progress(sc, what, unit, total, intervalMillis);
    }

    /** The counter tasks add finished units to (serialisable into task closures). */
    public LongAccumulator counter() {
        return counter;
    }

    /** {@code rdd} with each element counted as it is pulled (same partitions, same order). */
    public <T> JavaRDD<T> counted(JavaRDD<T> rdd) {
        return rdd.mapPartitions(new Counting<T>(counter), true);
    }

    private static final class Counting<T> implements FlatMapFunction<Iterator<T>, T> {
        private static final long serialVersionUID = 1L;
        private final LongAccumulator counter;

        Counting(LongAccumulator counter) {
            this.counter = counter;
        }

        @Override
        public Iterator<T> call(Iterator<T> in) {
            return new Iterator<T>() {
                @Override
                public boolean hasNext() {
                    return in.hasNext();
                }

                @Override
                public T next() {
                    T t = in.next();
                    counter.add(1);
                    return t;
                }
            };
        }
    }

    /** Units finished so far: finished tasks plus what running tasks last reported. */
    public long done() {
        long d = counter.value();
        for (long v : running.values()) d += v;
        return d;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        running.remove(end.taskInfo().taskId());
        maybeLog();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> task :
                JavaConverters.seqAsJavaListConverter(update.accumUpdates()).asJava()) {
            for (AccumulableInfo info :
                    JavaConverters.seqAsJavaListConverter(task._4()).asJava()) {
                if (info.id() == counter.id() && info.update().isDefined()) {
                    running.put((Long) task._1(), ((Number) info.update().get()).longValue());
                }
            }
        }
    }

    private void tick() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(intervalMillis, 100));
            } catch (InterruptedException e) {
                return;
            }
            maybeLog();
        }
    }

    private synchronized void maybeLog() {
        long now = System.nanoTime();
        if (closed || (now - lastLine) / 1_000_000 < intervalMillis) return;
        long d = done();
        if (d == 0 || d == lastLogged) return;
        lastLine = now;
        lastLogged = d;
        double seconds = (now - started) / 1e9, rate = d / Math.max(seconds, 1e-9);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: %,d", what, d));
        if (total > 0) line.append(String.format(Locale.ROOT, " / %,d %s (%.0f%%)", total, unit, 100.0 * d / total));
        else line.append(' ').append(unit);
        line.append(String.format(Locale.ROOT, ", %.1f %s/s", rate, unit));
        if (total > 0) line.append(", ETA ").append(rate > 0 ? duration(Math.max(0, total - d) / rate) : "unknown");
        LOG.info(line);
    }

    /** Stops tracking and logs the pass's total and rate. */
    @Override
    public void close() {
        try { // the pass's last task ends are posted but may not have reached this listener: let them
            sc.listenerBus().waitUntilEmpty(10_000);
        } catch (java.util.concurrent.TimeoutException e) {
            // a bus that busy: log what has arrived
        }
        synchronized (this) { // not around the wait: the listener's maybeLog takes this lock
            if (closed) return;
            closed = true;
        }
        timer.interrupt();
        sc.removeSparkListener(this);
        double seconds = (System.nanoTime() - started) / 1e9;
        long d = counter.value();
        LOG.info(String.format(
                Locale.ROOT,
                "%s: %,d %s in %s, %.1f %s/s",
                what,
                d,
                unit,
                duration(seconds),
                d / Math.max(seconds, 1e-9),
                unit));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return (s / 60) + " min " + (s % 60) + " s";
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
}
