package io.mlh.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.intel.analytics.bigdl.optim.Adam;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.RMSprop;
import com.intel.analytics.bigdl.optim.SGD;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.LrPolicy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

class OptimizersTest {

    @Test
    void schedulesFollowTheirFormulas() {
        LearningRateSchedule step = new LearningRateSchedule(LrPolicy.STEP, 0.1, 30, 10, 0.5, 0);
        assertEquals(0.1, step.rate(0), 1e-15);
        assertEquals(0.1, step.rate(9.99), 1e-15);
        assertEquals(0.05, step.rate(10), 1e-15);
        assertEquals(0.025, step.rate(25), 1e-15);

        LearningRateSchedule cosine = new LearningRateSchedule(LrPolicy.COSINE, 0.2, 10, 1, 1, 2);
        assertEquals(0.2 * 0.501 / 2, cosine.rate(0.5), 1e-12); // warm-up: linear in epochs done (+ 1e-3)
        assertEquals(0.2, cosine.rate(2), 1e-12); // warm-up over: the cosine starts at the base rate
        assertEquals(0.1, cosine.rate(6), 1e-12); // half-way through the remaining 8 epochs
        assertEquals(0.0, cosine.rate(10), 1e-12);

        assertEquals(0.3, new LearningRateSchedule(LrPolicy.CONSTANT, 0.3, 5, 1, 1, 0).rate(4.5), 0);
    }

    @Test
    void progressStaysInsideTheEpochBigDLReports() {
        assertEquals(0.0, LearningRateSchedule.progress(1, 1, 10), 0);
        assertEquals(1.5, LearningRateSchedule.progress(2, 16, 10), 1e-12);
        // BigDL ended epoch 2 early (a sample count, not a step count): progress is clamped into epoch 3
        assertEquals(2.0, LearningRateSchedule.progress(3, 20, 10), 1e-12);
        assertEquals(3 - 1e-9, LearningRateSchedule.progress(3, 35, 10), 1e-12);
    }

    /** Each scheduled method takes exactly BigDL's own step at the rate the schedule gives for its state. */
    @Test
    void eachMethodStepsAtTheScheduledRate() {
        for (String kind : new String[] {"adam", "rmsprop", "sgd"}) {
            MlhConfig c = config(kind, 0.0);
            OptimMethod<Float> scheduled = Optimizers.create(c, 4);
            double expectedRate = LearningRateSchedule.of(c).rate(LearningRateSchedule.progress(2, 7, 4));
            OptimMethod<Float> plain = plain(kind, expectedRate, 0.0);
            float[] a = step(scheduled, 2, 7), b = step(plain, 2, 7);
            // Adam's one-pass update rounds differently from BigDL's nine tensor operations
            assertArrayEquals(b, a, kind.equals("adam") ? 1e-6f : 0f, kind);
            // (BigDL's SGD reports its rate negated: the step it adds)
            assertEquals(expectedRate, Math.abs(scheduled.getLearningRate()), 1e-15, kind);
        }
    }

    /** Adam and RMSprop add decay x w to the gradient (0.5 flips a gradient sign: a visible change in Adam's first step). */
    @Test
    void adamAndRmspropDecayTheWeights() {
        for (String kind : new String[] {"adam", "rmsprop"}) {
            MlhConfig c = config(kind, 0.5).with("train.lr-warmup-epochs", 0);
            float[] decayed = step(Optimizers.create(c, 4), 1, 1);
            float[] undecayed = step(Optimizers.create(config(kind, 0.0).with("train.lr-warmup-epochs", 0), 4), 1, 1);
            double rate = LearningRateSchedule.of(c).rate(0);
            float[] byHand = stepWithGradient(plain(kind, rate, 0.0), 1, 1, 0.5f);
            assertArrayEquals(byHand, decayed, 1e-7f, kind);
            boolean differs = false;
            for (int i = 0; i < decayed.length; i++) differs |= decayed[i] != undecayed[i];
            assertEquals(true, differs, kind);
        }
    }

    /** The one-pass Adam follows BigDL's Adam step for step, moments and bias correction included. */
    @Test
    void adamFollowsBigDlsAdamOverManySteps() {
        MlhConfig c = config("adam", 0.0).with("train.lr-schedule", "constant").with("train.lr-warmup-epochs", 0);
        OptimMethod<Float> ours = Optimizers.create(c, 4), theirs = plain("adam", c.learningRate(), 0.0);
        java.util.Random r = new java.util.Random(7);
        int n = 10_000;
        float[] w0 = new float[n];
        for (int i = 0; i < n; i++) w0[i] = (float) r.nextGaussian();
        Tensor<Float> wOurs = BigDL.tensor(w0.clone(), n), wTheirs = BigDL.tensor(w0.clone(), n);
        double maxDiff = 0, moved = 0;
        for (int step = 1; step <= 30; step++) {
            float[] grad = new float[n];
            for (int i = 0; i < n; i++) grad[i] = (float) (r.nextGaussian() * (1 + i % 7));
            Tensor<Float> g = BigDL.tensor(grad, n);
            for (OptimMethod<Float> m : java.util.Arrays.asList(ours, theirs)) {
                m.optimize(
                        new AbstractFunction1<Tensor<Float>, Tuple2<Float, Tensor<Float>>>() {
                            @Override
                            public Tuple2<Float, Tensor<Float>> apply(Tensor<Float> x) {
                                return new Tuple2<>(1f, g.clone());
                            }
                        },
                        m == ours ? wOurs : wTheirs);
            }
        }
        float[] a = BigDL.toArray(wOurs), b = BigDL.toArray(wTheirs);
        for (int i = 0; i < n; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            moved = Math.max(moved, Math.abs(b[i] - w0[i]));
        }
        assertEquals(true, moved > 0.5, "30 steps at rate " + c.learningRate() + " move the weights: " + moved);
        assertEquals(0.0, maxDiff, 1e-5, "largest difference from BigDL's Adam");
        assertEquals(30, (int) (Integer) ours.state().get("evalCounter").get());
    }

    private static MlhConfig config(String optimizer, double decay) {
        Map<String, Object> m = new HashMap<>();
        m.put("train.optimizer", optimizer);
        m.put("train.learning-rate", 0.05);
        m.put("train.weight-decay", decay);
        m.put("train.lr-schedule", "cosine");
        m.put("train.epochs", 5);
        m.put("train.lr-warmup-epochs", 1);
        return MlhConfig.defaults().with(m);
    }

    private static OptimMethod<Float> plain(String kind, double lr, double decay) {
        switch (kind) {
            case "adam":
                return new Adam<>(lr, 0.0, 0.9, 0.999, 1e-8, BigDL.FLOAT, BigDL.NUM);
            case "rmsprop":
                return new RMSprop<>(lr, 0.0, 0.99, 1e-8, BigDL.FLOAT, BigDL.NUM);
            default:
                return new SGD<>(lr, 0.0, decay, 0.9, 0.0, true, new SGD.Default(), null, null, BigDL.FLOAT, BigDL.NUM);
        }
    }

    private static float[] step(OptimMethod<Float> m, int epoch, int neval) {
        return stepWithGradient(m, epoch, neval, 0f);
    }

    /** One step from w = (1, -2, 3) with gradient (0.5, 0.25, -1) + decay x w. */
    private static float[] stepWithGradient(OptimMethod<Float> m, int epoch, int neval, float decay) {
        Tensor<Float> w = BigDL.tensor(new float[] {1f, -2f, 3f}, 3);
        Tensor<Float> g = BigDL.tensor(new float[] {0.5f + decay, 0.25f - 2 * decay, -1f + 3 * decay}, 3);
        m.state().update("epoch", epoch);
        m.state().update("neval", neval);
        m.optimize(
                new AbstractFunction1<Tensor<Float>, Tuple2<Float, Tensor<Float>>>() {
                    @Override
                    public Tuple2<Float, Tensor<Float>> apply(Tensor<Float> x) {
                        return new Tuple2<>(1f, g.clone());
                    }
                },
                w);
        return BigDL.toArray(w);
    }
}
