package io.mlh.bench;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.optim.Trigger;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.loss.MlhCriterion;
import io.mlh.core.model.MlhNet;
import io.mlh.core.train.Optimizers;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.train.EpochOptimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Img/s of the MLH training step as the train job runs it: its {@link EpochOptimizer} (BigDL's
 * DistriOptimizer, reserveOptim, MKL-DNN conversion and copy-back as the job sets them up) on Spark
 * {@code local[2]}, vgg-small on 3 x 32 x 32 (or the backbone, input size and batch the overrides name,
 * e.g. {@code model.backbone=resnet-50 model.input-size=224 train.batch-size=16}), MoH shared K = 4,
 * 64 bits, {@code MlhCriterion} (all three terms), Adam, batch 64. The engine comes from
 * {@code train.engine=...} (one per JVM).
 *
 * <p>Input: standard-normal tensors (the distribution of normalised pixels) with one class of 10 per
 * image: the step's cost does not depend on pixel values. The clock runs from the end of warm-up
 * iteration {@code W} to the end of iteration {@code W + M}, read by the optimiser's own end trigger,
 * so Spark start-up, model broadcast, MKL-DNN primitive creation and the JIT warm-up are excluded (the
 * first ~20 iterations run up to 15% slower while HotSpot compiles the per-step Java code).
 *
 * <p>Prints one line {@code <what> <label> <img/s>} for {@link SpeedTable} ({@link SpeedTable#group}).
 * Arguments: label [warm-up iterations] [measured iterations] [key=value ...].
 */
public final class TrainSpeedBench {
    private TrainSpeedBench() {}

    public static void main(String[] args) throws Exception {
        String label = args[0];
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int measured = args.length > 2 ? Integer.parseInt(args[2]) : 80;
        List<String> overrides = new ArrayList<>();
        overrides.add("-");
        overrides.add("spark.master=local[2]");
        for (int i = 3; i < args.length; i++) overrides.add(args[i]);
        JobSettings s = JobSettings.fromArgs(overrides.toArray(new String[0]));
        MlhConfig c = s.model;
        SparkSession spark = Spark.start("train-speed", s);
        try {
            double rate = run(spark, c, warm, measured);
            System.out.printf("%s %s %.1f%n", SpeedTable.group("train", c), label, rate);
        } finally {
            spark.stop();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static double run(SparkSession spark, MlhConfig c, int warm, int measured) throws Exception {
        int batch = c.batchSize(), n = batch * 8, size = c.inputSize(), ch = c.inputChannels();
        Random r = new Random(c.seed());
        List<Sample<Float>> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] px = new float[ch * size * size];
            for (int k = 0; k < px.length; k++) px[k] = (float) r.nextGaussian();
            float[] y = new float[c.classes()];
            y[r.nextInt(c.classes())] = 1;
            samples.add(BigDL.sample(BigDL.tensor(px, ch, size, size), BigDL.tensor(y, y.length)));
        }
        JavaRDD<Sample<Float>> rdd = new JavaSparkContext(spark.sparkContext()).parallelize(samples, 2);
        HashCentres centres = HashCentres.generate(c.classes(), c.bits(), c.seed(), c.centreMinDistance());
        MlhCriterion criterion = new MlhCriterion(c, centres, n / batch);
        EpochOptimizer trainer = new EpochOptimizer(
                spark, (AbstractModule) MlhNet.build(c), Optimizers.create(c, n / batch), criterion, c, n / batch);
        Clock clock = new Clock(warm, measured);
        trainer.train(rdd, false, 1, clock);
        trainer.close();
        return (double) measured * batch / ((clock.end - clock.start) / 1e9);
    }

    /** The end trigger: checked on the driver before each iteration with BigDL's count of iterations done + 1. */
    static final class Clock implements Trigger {
        private static final long serialVersionUID = 1L;
        private final int warm, measured;
        long start, end;

        Clock(int warm, int measured) {
            this.warm = warm;
            this.measured = measured;
        }

        @Override
        public boolean apply(Table state) {
            int next = (Integer) state.apply("neval"); // 1-based number of the iteration about to run
            if (next == warm + 1) start = System.nanoTime();
            if (next == warm + measured + 1) {
                end = System.nanoTime();
                return true;
            }
            return false;
        }
    }
}
