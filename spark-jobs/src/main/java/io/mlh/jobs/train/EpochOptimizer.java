package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.Optimizer;
import com.intel.analytics.bigdl.optim.Trigger;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.loss.MlhCriterion;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.collection.JavaConverters;

/**
 * BigDL's DistriOptimizer as the train job drives it: one {@code optimize()} call an epoch, each
 * replica keeping its optimiser state (Adam's moments and step count) from one call to the next
 * ({@code reserveOptim}; without it BigDL clears them at every call), on MKL-DNN a copy of the network
 * BigDL can convert trains ({@link ComputeEngine}) and its weights and batch-norm statistics come back
 * into the plain network after each epoch. Also releases what BigDL leaves cached after each call.
 * The training-speed benchmark trains through this class too, so it measures the job's own loop.
 */
public final class EpochOptimizer {
    /** The name DistriOptimizer gives the RDD of its per-partition model replicas. */
    private static final String THREAD_MODELS = "Thread Model RDD";

    private final SparkSession spark;
    private final MlhConfig c;
    private final MlhCriterion criterion;
    private final long stepsPerEpoch;
    private final Set<Object> cachedBefore;
    private AbstractModule<Activity, Activity, Float> net;
    private OptimMethod<Float> optim;
    private Optimizer<Float, ?> optimizer;

    /** Trains {@code net} with {@code optim} from their state now; RDDs cached from now on are the optimiser's. */
    public EpochOptimizer(
            SparkSession spark,
            AbstractModule<Activity, Activity, Float> net,
            OptimMethod<Float> optim,
            MlhCriterion criterion,
            MlhConfig c,
            long stepsPerEpoch) {
        this.spark = spark;
        this.net = net;
        this.optim = optim;
        this.criterion = criterion;
        this.c = c;
        this.stepsPerEpoch = stepsPerEpoch;
        this.cachedBefore = new HashSet<>(persistentRdds().keySet());
    }

    /**
     * Trains epoch {@code epoch} on {@code data} until {@code end} fires (null: the epoch's end) and returns
     * the plain network with the trained state. {@code fresh}: {@code data} is a new draw (augmented
     * afresh) that replaces the previous epoch's. Throws what BigDL threw (Scala code throws checked
     * SparkExceptions too, e.g. for an aborted stage).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public AbstractModule<Activity, Activity, Float> train(
            JavaRDD<Sample<Float>> data, boolean fresh, int epoch, Trigger end) throws Exception {
        if (optimizer == null) {
            AbstractModule<Activity, Activity, Float> trained = c.engine() == MlhConfig.Engine.MKLDNN
                    ? (AbstractModule) ComputeEngine.forMklDnn((Graph<Float>) (AbstractModule) net)
                    : net;
            optimizer = BigDL.optimizer(trained, data.rdd(), criterion, c.batchSize());
            optimizer.setOptimMethod(optim);
            optimizer.reserveOptim(true);
        } else if (fresh) { // BigDL caches the samples it is given and never releases a replaced training set
            releaseCachedSince(ReservedOptimState.of(optimizer));
            optimizer.setTrainData(data.rdd(), c.batchSize(), null);
        }
        criterion.startAt((epoch - 1) * stepsPerEpoch); // replicas clone the criterion at each call
        optimizer.setEndWhen(end != null ? end : BigDL.maxEpoch(epoch));
        RDD<?> stateBefore = ReservedOptimState.of(optimizer);
        AbstractModule<Activity, Activity, Float> trained = (AbstractModule) optimizer.optimize();
        // BigDL caches the replicas' optimiser state afresh after each call and keeps the old copy;
        // with reserveOptim it also leaves the call's replicas cached (a model set an epoch)
        ReservedOptimState.settle(optimizer, stateBefore);
        releaseReplicas();
        ParameterBlocks.release(optimizer); // and a set of weight and gradient blocks a call
        if (trained != net && c.engine() == MlhConfig.Engine.MKLDNN) ComputeEngine.copyTrainedState(trained, net);
        else net = trained;
        return net;
    }

    /** The optimiser state training updates: the one given, or since {@link #restart} the checkpoint's. */
    public OptimMethod<Float> optim() {
        return optim;
    }

    /** Drops the optimiser and everything it cached: the next epoch starts afresh from {@code net} and {@code optim} (a checkpoint's). */
    public void restart(AbstractModule<Activity, Activity, Float> net, OptimMethod<Float> optim) {
        releaseCachedSince(null);
        this.optimizer = null;
        this.net = net;
        this.optim = optim;
    }

    /** Releases everything the optimiser cached. */
    public void close() {
        releaseCachedSince(null);
    }

    /**
     * Unpersists every RDD cached since this optimiser began but {@code keep}: its copy of the training set,
     * its shuffled indexes and transformer copies, which BigDL keeps cached when the set is replaced or
     * training ends (its dataset's unpersist releases only the transformer copies).
     */
    private void releaseCachedSince(RDD<?> keep) {
        for (Map.Entry<Object, RDD<?>> e : persistentRdds().entrySet()) {
            if (!cachedBefore.contains(e.getKey()) && e.getValue() != keep)
                e.getValue().unpersist(false);
        }
    }

    /** Unpersists DistriOptimizer's cached model replicas once a call is over. */
    private void releaseReplicas() {
        for (RDD<?> rdd : persistentRdds().values()) {
            if (THREAD_MODELS.equals(rdd.name())) rdd.unpersist(false);
        }
    }

    private Map<Object, RDD<?>> persistentRdds() {
        return JavaConverters.mapAsJavaMapConverter(spark.sparkContext().getPersistentRDDs())
                .asJava();
    }
}
