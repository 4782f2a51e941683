package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
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
import io.mlh.jobs.shard.ShardTable;
import java.io.IOException;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code mlh-train.jar}: the training images of a shard table -> BigDL's DistriOptimizer
 * (synchronous data-parallel SGD over the executors) with the MLH criterion -> a model bundle.
 * Trains one epoch per optimiser call so that after each epoch it logs every loss term (on a fixed
 * probe batch, {@link EpochReport}), throughput (of the whole epoch, and of its training alone), the validation mAP and ETA, writes them as TensorBoard
 * scalars ({@link TensorBoardLog}, step = epoch), and checkpoints model and optimiser state;
 * {@code jobs.train.resume} continues from the newest checkpoint.
 */
public final class TrainJob {
    private static final Logger LOG = Logger.getLogger(TrainJob.class);

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
            return String.format(
                    "epochs %d-%d, last epoch %s at %.1f img/s",
                    firstEpoch, lastEpoch, lastTerms.values(), imagesPerSecond);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlhConfig c = s.model;
        CommittedOutput.requireCommitted(hadoop, s.shardsPath);
        Dataset<Row> shards = ShardTable.read(spark, s.shardsPath);
        Dataset<Row> train = shards.filter("train").orderBy("id");
        JavaRDD<Sample<Float>> samples = ShardSamples.of(train, s).persist(StorageLevel.MEMORY_AND_DISK());
        long n = samples.count();
        if (n < c.batchSize())
            throw new IllegalArgumentException("only " + n + " training images for a batch of " + c.batchSize());
        long stepsPerEpoch = (n + c.batchSize() - 1) / c.batchSize();
        long trainedPerEpoch = stepsPerEpoch * c.batchSize(); // BigDL's epoch ends with a full batch

        HashCentres centres = HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance());
        Checkpoints checkpoints = new Checkpoints(hadoop, s.modelPath + "-checkpoints");
        Checkpoints.State resumed = s.resume ? checkpoints.latest() : null;
        AbstractModule<Activity, Activity, Float> net =
                resumed != null ? resumed.net : (AbstractModule) MlhNet.build(c);
        OptimMethod<Float> optim = resumed != null ? resumed.optim : Optimizers.create(c, stepsPerEpoch);
        int done = resumed != null ? resumed.epoch : 0;
        if (resumed != null) LOG.info("resuming after epoch " + done + " from " + checkpoints.dir);
        else checkpoints.save(0, net, optim); // the initial weights: a lost first epoch restarts from them too
        if (done >= c.epochs()) LOG.info("all " + c.epochs() + " epochs are already trained");

        MlhCriterion criterion = new MlhCriterion(c, centres, stepsPerEpoch);
        EpochReport report = done < c.epochs() ? EpochReport.of(shards, train, s, centres, stepsPerEpoch) : null;
        if (report != null && report.validates()) {
            LOG.info("validation mAP after each epoch: " + report.queries() + " held-out queries against "
                    + report.database() + " database images");
        }
        boolean augmenting = !augmentation(s, 1).isIdentity();
        LearningRateSchedule rates = LearningRateSchedule.of(c);

        TensorBoardLog board = s.tensorboard && done < c.epochs() ? new TensorBoardLog(hadoop, s.tensorboardDir) : null;
        if (board != null) LOG.info("TensorBoard event files under " + s.tensorboardDir);

        EpochOptimizer trainer = new EpochOptimizer(spark, net, optim, criterion, c, stepsPerEpoch);
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
                    JavaRDD<Sample<Float>> data =
                            augmenting ? ShardSamples.of(train, s, augmentation(s, epoch)) : samples;
                    Exception failure = null;
                    try {
                        trained = trainer.train(data, augmenting, epoch, null);
                    } catch (Exception e) {
                        failure = e;
                    }
                    Set<String> lost = losses.takeLost(failure != null ? ExecutorLossWatch.FAILURE_WAIT_MS : 0);
                    if (lost.isEmpty() && failure instanceof RuntimeException) throw (RuntimeException) failure;
                    if (lost.isEmpty() && failure != null)
                        throw new IOException("epoch " + epoch + " failed: " + failure.getMessage(), failure);
                    if (lost.isEmpty()) break;
                    // BigDL keeps every replica's weights and optimiser state in its executor's block manager and
                    // silently rebuilds a lost one from the epoch's start: the epoch is redone from the last checkpoint
                    if (attempt > s.epochRetries) {
                        throw new IllegalStateException(
                                "epoch " + epoch + " lost executors " + lost + " in each of its " + attempt
                                        + " attempts (jobs.train.epoch-retries = " + s.epochRetries + ")",
                                failure);
                    }
                    LOG.warn(String.format(
                            "epoch %d/%d lost executor(s) %s%s: redoing it from the checkpoint of epoch %d (retry %d of %d)",
                            epoch,
                            c.epochs(),
                            lost,
                            failure == null ? "" : " and failed (" + failure + ")",
                            epoch - 1,
                            attempt,
                            s.epochRetries));
                    Checkpoints.State last = checkpoints.load(epoch - 1);
                    net = last.net;
                    optim = last.optim;
                    trainer.restart(net, optim);
                    trained = null;
                }
                net = trained;
                double training = trainedPerEpoch / ((System.nanoTime() - t0) / 1e9);
                EpochReport.Outcome outcome = report.measure(net, epoch);
                terms = outcome.terms;
                EpochReport.BranchMaps maps = outcome.maps;
                double lr = rates.rate(epoch - 1);
                checkpoints.save(epoch, net, optim);
                rate = trainedPerEpoch
                        / ((System.nanoTime() - t0) / 1e9); // the whole epoch: probe, validation and checkpoint too
                double eta = (System.nanoTime() - started) / 1e9 / (epoch - done) * (c.epochs() - epoch);
                LOG.info(String.format(
                        "epoch %d/%d: %s, lr %.3g, %.1f img/s (training alone %.1f), %sETA %.0f s",
                        epoch, c.epochs(), terms.values(), lr, rate, training, validationText(maps), eta));
                if (board != null) {
                    board.train("loss/L", terms.total, epoch);
                    board.train("loss/L_C", terms.centre, epoch);
                    board.train("loss/L_P", terms.pairwise, epoch);
                    board.train("loss/L_M", terms.mutual, epoch);
                    board.train("LearningRate", lr, epoch);
                    board.train("Throughput", rate, epoch);
                    if (maps != null) {
                        board.validation("mAP", maps.retrieval(), epoch);
                        if (!Double.isNaN(maps.other()))
                            board.validation("mAP/" + maps.otherBranch(), maps.other(), epoch);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training", e);
        } finally {
            losses.close();
            if (board != null) board.close();
        }
        new ModelBundle(net, c, centres, s.mean, s.std, s.centreCrop)
                .save(hadoop, s.modelPath, s.overwrite || s.resume);
        samples.unpersist();
        if (report != null) report.release();
        trainer.close();
        return new Result(done + 1, c.epochs(), terms, rate);
    }

    /** "validation mAP 0.41 (pairwise branch 0.38), ": the retrieval branch, then the other one if trained. */
    private static String validationText(EpochReport.BranchMaps maps) {
        if (maps == null) return "";
        String other =
                Double.isNaN(maps.other()) ? "" : String.format(" (%s branch %.4f)", maps.otherBranch(), maps.other());
        return String.format("validation mAP %.4f%s, ", maps.retrieval(), other);
    }

    private static Augmentation augmentation(JobSettings s, int epoch) {
        return new Augmentation(s.flip, s.cropPadding, s.cropScale, s.cropRatio, s.model.seed(), epoch);
    }
}
