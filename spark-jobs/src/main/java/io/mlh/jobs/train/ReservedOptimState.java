package io.mlh.jobs.train;

import com.intel.analytics.bigdl.optim.DistriOptimizer;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.Optimizer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.collection.immutable.Map;

/**
 * The replicas' optimiser state (Adam's moments and step count) that DistriOptimizer keeps cached from
 * one {@code optimize()} call to the next when {@code reserveOptim} is on, and its upkeep between calls.
 *
 * <p>BigDL derives each call's state from the call's replicas, which it zips with the previous call's
 * state: the state's lineage grows by an epoch's RDDs at every call and keeps every earlier call's
 * replicas, closures and model broadcasts reachable on the driver, so Spark never cleans those
 * broadcasts, and every task serialises the whole chain. {@link #settle} cuts the chain after each call.
 */
final class ReservedOptimState {
    private ReservedOptimState() {}

    /** The state the optimiser will hand its next call, or null (none yet, or not a distributed optimiser). */
    static RDD<Map<String, OptimMethod<Float>>> of(Optimizer<Float, ?> optimizer) {
        return optimizer instanceof DistriOptimizer ? ((DistriOptimizer<Float>) optimizer).previousOptim() : null;
    }

    /**
     * After a call that succeeded: releases the state it replaced ({@code before}) and gives the optimiser
     * the new state as a copy checkpointed locally (on the executors' block managers, where the state is
     * already cached), so that its lineage starts afresh. Spark takes a local checkpoint only if it is asked
     * for before the RDD's first job, and BigDL runs one on its state at once: hence the copy. A lost executor
     * loses its part of the state either way; the train job then redoes the epoch from its own checkpoint
     * with a fresh optimiser.
     */
    static void settle(Optimizer<Float, ?> optimizer, RDD<?> before) {
        RDD<Map<String, OptimMethod<Float>>> now = of(optimizer);
        if (before != null && before != now) before.unpersist(false);
        if (now == null) return;
        JavaRDD<Map<String, OptimMethod<Float>>> copy = now.toJavaRDD().mapPartitions(states -> states);
        copy.rdd().localCheckpoint().setName("MLH reserved optimiser state");
        copy.count(); // materialises the copy from the cached state and then cuts its lineage
        ((DistriOptimizer<Float>) optimizer).previousOptim_$eq(copy.rdd());
        now.unpersist(false);
    }
}
