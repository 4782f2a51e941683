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
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.OutputClaim;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.tables.ShardTable;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.IntFunction;
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
 * probe batch, {@link EpochReport}), throughput (of the whole epoch, and of its training alone),
 * the validation mAP and ETA, also as TensorBoard scalars ({@link EpochLog}), and checkpoints model
 * and optimiser state; an epoch that lost executors is redone from the last checkpoint
 * ({@link ExecutorLossRetry}), and {@code jobs.train.resume} continues from the newest checkpoint.
 */
public final class TrainJob {
    private static final Logger LOG = Logger.getLogger(TrainJob.class);

    private TrainJob() {}

    public static final Command COMMAND = new Command(
            "mlh-train",
            "mlh-train.jar",
            TrainJob.class,
            "Trains the hash function on the shard table's training images (BigDL's DistriOptimizer over the\n"
                    + "executors) and writes the model bundle (paths.model) with checkpoints beside it.",
            Command.keys(Arrays.asList(MlhConfig.class, TrainSettings.class, Framing.class, JobSettings.class)));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, (spark, s) -> run(spark, s));
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

    public static Result run(SparkSession spark, JobSettings s) throws IOException {
        TrainSettings t = new TrainSettings(s);
        Framing framing = Framing.of(s.model);
        OutputClaim.Terms terms = s.claims.of(spark.sparkContext().applicationId());
        // the model directory, its checkpoints and event files are this run's alone until it ends
        try (OutputClaim claim = OutputClaim.take(spark.sparkContext().hadoopConfiguration(), s.modelPath, terms)) {
            return train(spark, s, t, framing, terms);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Result train(
            SparkSession spark, JobSettings s, TrainSettings t, Framing framing, OutputClaim.Terms claim)
            throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlhConfig c = s.model;
        CommittedOutput.requireCommitted(spark, s.shardsPath, s.verifyInputs);
        Dataset<Row> shards = ShardTable.readComplete(spark, s.shardsPath);
        Dataset<Row> train = shards.filter(ShardTable.TRAINING).orderBy("id");
        JavaRDD<Sample<Float>> samples = ShardSamples.of(train, framing).persist(StorageLevel.MEMORY_AND_DISK());
        long n = samples.count();
        if (n < c.batchSize())
            throw new IllegalArgumentException("only " + n + " training images for a batch of " + c.batchSize());
        long stepsPerEpoch = (n + c.batchSize() - 1) / c.batchSize();
        long trainedPerEpoch = stepsPerEpoch * c.batchSize(); // BigDL's epoch ends with a full batch

        HashCentres centres = HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance());
        Checkpoints checkpoints = new Checkpoints(hadoop, s.modelPath + "-checkpoints", claim);
        Checkpoints.State resumed = t.resume ? checkpoints.latest() : null;
        AbstractModule<Activity, Activity, Float> net =
                resumed != null ? resumed.net : (AbstractModule) MlhNet.build(c);
        OptimMethod<Float> optim = resumed != null ? resumed.optim : Optimizers.create(c, stepsPerEpoch);
        int done = resumed != null ? resumed.epoch : 0;
        if (resumed != null) LOG.info("resuming after epoch " + done + " from " + checkpoints.dir);
        else checkpoints.save(0, net, optim); // the initial weights: a lost first epoch restarts from them too
        if (done >= c.epochs()) LOG.info("all " + c.epochs() + " epochs are already trained");

        MlhCriterion criterion = new MlhCriterion(c, centres, stepsPerEpoch);
        EpochReport report = done < c.epochs()
                ? EpochReport.of(
                        shards, train, c, framing, t.validationQueries, t.validationDatabase, centres, stepsPerEpoch)
                : null;
        if (report != null && report.validates()) {
            LOG.info("validation mAP after each epoch: " + report.queries() + " held-out queries against "
                    + report.database() + " database images");
        }
        boolean augmenting = !augmentation(t, c, 1).isIdentity();
        IntFunction<JavaRDD<Sample<Float>>> epochSamples =
                epoch -> augmenting ? ShardSamples.of(train, framing, augmentation(t, c, epoch)) : samples;
        LearningRateSchedule rates = LearningRateSchedule.of(c);

        EpochOptimizer trainer = new EpochOptimizer(spark, net, optim, criterion, c, stepsPerEpoch);
        LossTerms terms = null;
        double rate = 0;
        boolean boarding = t.tensorboard && done < c.epochs();
        try (ExecutorLossRetry retry = new ExecutorLossRetry(spark, trainer, checkpoints, t.epochRetries, c.epochs());
                EpochLog log = new EpochLog(hadoop, done + 1, c.epochs(), boarding ? t.tensorboardDir : null)) {
            for (int epoch = done + 1; epoch <= c.epochs(); epoch++) {
                long t0 = System.nanoTime();
                net = retry.train(epoch, epochSamples, augmenting);
                double training = trainedPerEpoch / secondsSince(t0);
                EpochReport.Outcome outcome = report.measure(net, epoch);
                checkpoints.save(epoch, net, trainer.optim());
                rate = trainedPerEpoch / secondsSince(t0); // the whole epoch: probe, validation and checkpoint too
                log.epoch(epoch, outcome, rates.rate(epoch - 1), rate, training);
                terms = outcome.terms;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training", e);
        }
        new ModelBundle(net, c, centres, framing.mean(), framing.std(), framing.centreCrop())
                .save(hadoop, s.modelPath, s.overwrite || t.resume, claim);
        samples.unpersist();
        if (report != null) report.release();
        trainer.close();
        return new Result(done + 1, c.epochs(), terms, rate);
    }

    private static double secondsSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1e9;
    }

    private static Augmentation augmentation(TrainSettings t, MlhConfig c, int epoch) {
        return new Augmentation(t.flip, t.cropPadding, t.cropScale, t.cropRatio, c.seed(), epoch);
    }
}
