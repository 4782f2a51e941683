package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import java.io.IOException;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

/**
 * One epoch of the optimiser, redone from the last checkpoint when it lost executors. BigDL keeps
 * every replica's weights and optimiser state in its executor's block manager and silently rebuilds
 * a lost one from the epoch's start, so an epoch that lost an executor cannot be trusted even when
 * the call returned. A failure with no lost executor is the job's own and is thrown as it is.
 */
final class ExecutorLossRetry implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ExecutorLossRetry.class);

    private final EpochOptimizer trainer;
    private final Checkpoints checkpoints;
    private final int retries, epochs;
    // executors lost since the last good epoch took their replicas' state with them
    private final ExecutorLossWatch losses;

    /** Retries an epoch up to {@code retries} times ({@code jobs.train.epoch-retries}) of {@code epochs}. */
    ExecutorLossRetry(SparkSession spark, EpochOptimizer trainer, Checkpoints checkpoints, int retries, int epochs) {
        this.trainer = trainer;
        this.checkpoints = checkpoints;
        this.retries = retries;
        this.epochs = epochs;
        this.losses = new ExecutorLossWatch(spark.sparkContext());
    }

    /**
     * Trains {@code epoch} on {@code data.apply(epoch)} ({@code fresh}: a new draw each epoch) and
     * returns the trained network; after a retry, the optimiser's state is the checkpoint's.
     */
    AbstractModule<Activity, Activity, Float> train(int epoch, IntFunction<JavaRDD<Sample<Float>>> data, boolean fresh)
            throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            AbstractModule<Activity, Activity, Float> trained = null;
            Exception failure = null;
            try {
                trained = trainer.train(data.apply(epoch), fresh, epoch, null);
            } catch (Exception e) {
                failure = e;
            }
            Set<String> lost = losses.takeLost(failure != null ? ExecutorLossWatch.FAILURE_WAIT_MS : 0);
            if (lost.isEmpty() && failure == null) return trained;
            if (lost.isEmpty() && failure instanceof RuntimeException) throw (RuntimeException) failure;
            if (lost.isEmpty()) throw new IOException("epoch " + epoch + " failed: " + failure.getMessage(), failure);
            if (attempt > retries) {
                throw new IllegalStateException(
                        "epoch " + epoch + " lost executors " + lost + " in each of its " + attempt
                                + " attempts (jobs.train.epoch-retries = " + retries + ")",
                        failure);
            }
            LOG.warn(String.format(
                    "epoch %d/%d lost executor(s) %s%s: redoing it from the checkpoint of epoch %d (retry %d of %d)",
                    epoch,
                    epochs,
                    lost,
                    failure == null ? "" : " and failed (" + failure + ")",
                    epoch - 1,
                    attempt,
                    retries));
            Checkpoints.State last = checkpoints.load(epoch - 1);
            trainer.restart(last.net, last.optim);
        }
    }

    @Override
    public void close() {
        losses.close();
    }
}
