package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractCriterion;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.Optimizer;
import com.intel.analytics.bigdl.optim.Optimizer$;
import com.intel.analytics.bigdl.optim.Trigger$;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.nn.Graph;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.loss.LossTerms;
import io.mlh.core.loss.MlhCriterion;
import io.mlh.core.model.MlhNet;
import io.mlh.core.train.LearningRateSchedule;
import io.mlh.core.train.Optimizers;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.collection.JavaConverters;

/**
 * {@code mlh-train.jar}: the training images of a shard table -> BigDL's DistriOptimizer
 * (synchronous data-parallel SGD over the executors) with the MLH criterion -> a model bundle.
 * Trains one epoch per optimiser call so that after each epoch it logs every loss term (on a fixed
 * probe batch), throughput, the validation mAP ({@link Validation}) and ETA, writes them as TensorBoard
 * scalars ({@link TensorBoardLog}, step = epoch), and checkpoints model and optimiser state;
 * {@code jobs.resume} continues from the newest checkpoint.
 */
public final class TrainJob {
    private static final Logger LOG = Logger.getLogger(TrainJob.class);
    private static final int PROBE = 256;

    private TrainJob() {}

    public static void main(String[] args) throws Exception {
        Spark.main("mlh-train", args, (spark, s) -> run(spark, s));
    }

    /** What training did: the epochs run in this call and the last epoch's loss terms on the probe. */
    public static final class Result {
        public final int firstEpoch, lastEpoch;
        public final LossTerms lastTerms;
        public final double imagesPerSecond;

        Result(int firstEpoch, int lastEpoch, LossTerms lastTerms, double imagesPerSecond) {
            this.firstEpoch = firstEpoch;
            this.lastEpoch = lastEpoch;
            this.lastTerms = lastTerms;
            this.imagesPerSecond = imagesPerSecond;
        }

        /** The line {@code mlh-train} prints when it is done. */
        @Override
        public String toString() {
            if (firstEpoch > lastEpoch) return "epochs 1-" + lastEpoch + " already checkpointed, nothing left to train";
            return String.format("epochs %d-%d, last epoch %s at %.1f img/s", firstEpoch, lastEpoch, lastTerms.values(),
                    imagesPerSecond);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlhConfig c = s.model;
        CommittedOutput.requireCommitted(hadoop, s.shardsPath);
        Dataset<Row> shards = ShardSamples.read(spark, s.shardsPath);
        Dataset<Row> train = shards.filter("train").orderBy("id");
        JavaRDD<Sample<Float>> samples = ShardSamples.of(train, s).persist(StorageLevel.MEMORY_AND_DISK());
        long n = samples.count();
        if (n < c.batchSize()) throw new IllegalArgumentException("only " + n + " training images for a batch of " + c.batchSize());
        long stepsPerEpoch = (n + c.batchSize() - 1) / c.batchSize();

        HashCentres centres = HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance());
        Checkpoints checkpoints = new Checkpoints(hadoop, s.modelPath + "-checkpoints");
        Checkpoints.State resumed = s.resume ? checkpoints.latest() : null;
        AbstractModule<Activity, Activity, Float> net = resumed != null ? resumed.net : (AbstractModule) MlhNet.build(c);
        OptimMethod<Float> optim = resumed != null ? resumed.optim : Optimizers.create(c, stepsPerEpoch);
        int done = resumed != null ? resumed.epoch : 0;
        if (resumed != null) LOG.info("resuming after epoch " + done + " from " + checkpoints.dir);
        else checkpoints.save(0, net, optim); // the initial weights: a lost first epoch restarts from them too
        if (done >= c.epochs()) LOG.info("all " + c.epochs() + " epochs are already trained");

        MlhCriterion criterion = new MlhCriterion(c, centres, stepsPerEpoch);
        Probe probe = new Probe(samples.take(PROBE), c, centres, stepsPerEpoch);
        Set<Object> cachedBefore = new HashSet<>(persistentRdds(spark).keySet());
        boolean augmenting = !augmentation(s, 1).isIdentity();
        LearningRateSchedule rates = LearningRateSchedule.of(c);

        Validation validation = done < c.epochs() ? Validation.of(shards, s) : null;
        if (validation != null) {
            LOG.info("validation mAP after each epoch: " + validation.queries() + " held-out queries against " + validation.database()
                    + " database images");
        }
        TensorBoardLog board = s.tensorboard && done < c.epochs() ? new TensorBoardLog(hadoop, s.tensorboardDir) : null;
        if (board != null) LOG.info("TensorBoard event files under " + s.tensorboardDir);

        Optimizer<Float, ?> optimizer = null;
        // executors lost since the last good epoch took their replicas' state with them (see below)
        ExecutorLossWatch losses = new ExecutorLossWatch(spark.sparkContext());
        LossTerms terms = null;
        double rate = 0;
        long started = System.nanoTime();
        try {
            for (int epoch = done + 1; epoch <= c.epochs(); epoch++) {
                long t0 = System.nanoTime();
                AbstractModule<Activity, Activity, Float> trained = null;
                for (int attempt = 1; trained == null; attempt++) {
                    JavaRDD<Sample<Float>> data = augmenting ? ShardSamples.of(train, s, augmentation(s, epoch)) : samples;
                    if (optimizer == null) {
                        optimizer = newOptimizer(net, optim, data, criterion, c);
                    } else if (augmenting) { // fresh draws: BigDL caches the samples it is given
                        // and never releases a replaced training set; the replicas' optimiser state stays
                        releaseCachedSince(spark, cachedBefore, ReservedOptimState.of(optimizer));
                        optimizer.setTrainData(data.rdd(), c.batchSize(), null);
                    }
                    criterion.startAt((epoch - 1) * stepsPerEpoch); // replicas clone the criterion at each call
                    optimizer.setEndWhen(Trigger$.MODULE$.maxEpoch(epoch));
                    RDD<?> stateBefore = ReservedOptimState.of(optimizer);
                    Exception failure = null;
                    try {
                        trained = (AbstractModule) optimizer.optimize();
                    } catch (Exception e) { // Scala code throws checked SparkExceptions too (e.g. an aborted stage)
                        failure = e;
                    }
                    Set<String> lost = losses.takeLost(failure != null ? ExecutorLossWatch.FAILURE_WAIT_MS : 0);
                    if (lost.isEmpty() && failure instanceof RuntimeException) throw (RuntimeException) failure;
                    if (lost.isEmpty() && failure != null) throw new IOException("epoch " + epoch + " failed: " + failure.getMessage(), failure);
                    if (lost.isEmpty()) {
                        // BigDL caches the replicas' optimiser state afresh after each call and keeps the old copy;
                        // with reserveOptim it also leaves the call's replicas cached (a model set an epoch)
                        ReservedOptimState.settle(optimizer, stateBefore);
                        releaseReplicas(spark);
                        ParameterBlocks.release(optimizer); // and a set of weight and gradient blocks a call
                        break;
                    }
                    // BigDL keeps every replica's weights and optimiser state in its executor's block manager and
                    // silently rebuilds a lost one from the epoch's start: the epoch is redone from the last checkpoint
                    if (attempt > s.epochRetries) {
                        throw new IllegalStateException("epoch " + epoch + " lost executors " + lost + " in each of its "
                                + attempt + " attempts (jobs.epoch-retries = " + s.epochRetries + ")", failure);
                    }
                    LOG.warn(String.format("epoch %d/%d lost executor(s) %s%s: redoing it from the checkpoint of epoch %d (retry %d of %d)",
                            epoch, c.epochs(), lost, failure == null ? "" : " and failed (" + failure + ")", epoch - 1, attempt, s.epochRetries));
                    releaseCachedSince(spark, cachedBefore, null);
                    Checkpoints.State last = checkpoints.load(epoch - 1);
                    net = last.net;
                    optim = last.optim;
                    optimizer = null;
                    trained = null;
                }
                if (trained != net && c.engine() == MlhConfig.Engine.MKLDNN) ComputeEngine.copyTrainedState(trained, net);
                else net = trained;
                double seconds = (System.nanoTime() - t0) / 1e9;
                rate = n / seconds;
                terms = probe.terms(net, epoch);
                double eta = (System.nanoTime() - started) / 1e9 / (epoch - done) * (c.epochs() - epoch);
                double lr = rates.rate(epoch - 1);
                Validation.BranchMaps maps = validation != null ? validation.map(net) : null;
                LOG.info(String.format("epoch %d/%d: %s, lr %.3g, %.1f img/s, %sETA %.0f s",
                        epoch, c.epochs(), terms.values(), lr, rate, validationText(maps), eta));
                if (board != null) {
                    board.train("loss/L", terms.total, epoch);
                    board.train("loss/L_C", terms.centre, epoch);
                    board.train("loss/L_P", terms.pairwise, epoch);
                    board.train("loss/L_M", terms.mutual, epoch);
                    board.train("LearningRate", lr, epoch);
                    board.train("Throughput", rate, epoch);
                    if (maps != null) {
                        board.validation("mAP", maps.retrieval(), epoch);
                        if (!Double.isNaN(maps.other())) board.validation("mAP/" + maps.otherBranch(), maps.other(), epoch);
                    }
                }
                checkpoints.save(epoch, net, optim);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training", e);
        } finally {
            losses.close();
            if (board != null) board.close();
        }
        new ModelBundle(net, c, centres, s.mean, s.std, s.centreCrop).save(hadoop, s.modelPath, s.overwrite || s.resume);
        samples.unpersist();
        releaseCachedSince(spark, cachedBefore, null);
        return new Result(done + 1, c.epochs(), terms, rate);
    }

    /**
     * An optimiser for {@code net}: on MKL-DNN a copy BigDL can convert trains (ComputeEngine) and its
     * weights come back after each epoch. Each replica keeps its optimiser state (Adam's moments and
     * step count) from one epoch's call to the next; without reserveOptim BigDL clears them at every call.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Optimizer<Float, ?> newOptimizer(AbstractModule<Activity, Activity, Float> net, OptimMethod<Float> optim,
                                                   JavaRDD<Sample<Float>> data, MlhCriterion criterion, MlhConfig c) {
        AbstractModule<Activity, Activity, Float> trained = c.engine() == MlhConfig.Engine.MKLDNN
                ? (AbstractModule) ComputeEngine.forMklDnn((Graph<Float>) (AbstractModule) net) : net;
        Optimizer<Float, ?> optimizer = Optimizer$.MODULE$.apply(trained, data.rdd(), (AbstractCriterion) criterion,
                c.batchSize(), null, null, BigDL.FLOAT, BigDL.NUM);
        optimizer.setOptimMethod(optim);
        optimizer.reserveOptim(true);
        return optimizer;
    }

    /**
     * Unpersists every RDD cached since {@code before} but {@code keep}: the optimiser's copy of the training set, its
     * shuffled indexes and transformer copies, which BigDL keeps cached when the set is replaced or
     * training ends (its dataset's unpersist releases only the transformer copies).
     */
    private static void releaseCachedSince(SparkSession spark, Set<Object> before, RDD<?> keep) {
        for (Map.Entry<Object, RDD<?>> e : persistentRdds(spark).entrySet()) {
            if (!before.contains(e.getKey()) && e.getValue() != keep) e.getValue().unpersist(false);
        }
    }

    /** "validation mAP 0.41 (pairwise branch 0.38), ": the retrieval branch, then the other one if trained. */
    private static String validationText(Validation.BranchMaps maps) {
        if (maps == null) return "";
        String other = Double.isNaN(maps.other()) ? ""
                : String.format(" (%s branch %.4f)", maps.otherBranch(), maps.other());
        return String.format("validation mAP %.4f%s, ", maps.retrieval(), other);
    }

    /** Unpersists DistriOptimizer's cached model replicas (its "Thread Model RDD") once a call is over. */
    private static void releaseReplicas(SparkSession spark) {
        for (RDD<?> rdd : persistentRdds(spark).values()) {
            if (THREAD_MODELS.equals(rdd.name())) rdd.unpersist(false);
        }
    }

    /** The name DistriOptimizer gives the RDD of its per-partition model replicas. */
    private static final String THREAD_MODELS = "Thread Model RDD";

    private static Map<Object, RDD<?>> persistentRdds(SparkSession spark) {
        return JavaConverters.mapAsJavaMapConverter(spark.sparkContext().getPersistentRDDs()).asJava();
    }

    private static Augmentation augmentation(JobSettings s, int epoch) {
        return new Augmentation(s.flip, s.cropPadding, s.cropScale, s.cropRatio, s.model.seed(), epoch);
    }

    /** A fixed batch of training images on the driver, to report every loss term after each epoch. */
    private static final class Probe {
        private final Tensor<Float> images, labels;
        private final MlhConfig config;
        private final HashCentres centres;
        private final long stepsPerEpoch;

        Probe(List<Sample<Float>> batch, MlhConfig config, HashCentres centres, long stepsPerEpoch) {
            this.config = config;
            this.centres = centres;
            this.stepsPerEpoch = stepsPerEpoch;
            int size = config.inputSize(), ch = config.inputChannels(), classes = config.classes(), m = batch.size();
            images = BigDL.tensor(m, ch, size, size);
            labels = BigDL.tensor(m, classes);
            for (int i = 0; i < m; i++) {
                images.select(1, i + 1).copy(batch.get(i).feature(BigDL.NUM));
                labels.select(1, i + 1).copy(batch.get(i).label(BigDL.NUM));
            }
        }

        /** The loss terms the schedule trains in this epoch (joint view for the alternate mode). */
        LossTerms terms(AbstractModule<Activity, Activity, Float> net, int epoch) {
            MlhConfig joint = config.mutualMode() == MlhConfig.MutualMode.ALTERNATE ? config.with("mutual.mode", "joint") : config;
            MlhCriterion criterion = new MlhCriterion(joint, centres, stepsPerEpoch);
            criterion.startAt((epoch - 1) * stepsPerEpoch);
            net.evaluate();
            // in chunks, and the buffers dropped afterwards: the optimiser broadcasts this model and
            // every replica clones it, buffers and all
            criterion.forward(MlhNet.forwardInChunks(net, images, MlhNet.inferenceBatch(config)), labels);
            net.training();
            return criterion.lastTerms();
        }
    }
}
