package io.mlh.core.train;

import com.intel.analytics.bigdl.optim.Adam;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.RMSprop;
import com.intel.analytics.bigdl.optim.SGD;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;
import scala.Function1;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

/**
 * BigDL's optimisation methods from the config, with BigDL's own defaults spelled out. Each one sets
 * its learning rate from the {@link LearningRateSchedule} before every step, reading the epoch and
 * step counters the BigDL optimisers keep in its state; so the schedule holds inside
 * DistriOptimizer's replicas and across checkpoint and resume. Adam and RMSprop in BigDL have no weight
 * decay of their own: theirs adds {@code weight-decay x w} to the gradient (SGD's own does the same).
 */
public final class Optimizers {
    private Optimizers() {}

    /** {@code stepsPerEpoch}: optimiser steps an epoch, to place a step within the schedule. */
    public static OptimMethod<Float> create(MlhConfig config, long stepsPerEpoch) {
        Schedule schedule = new Schedule(LearningRateSchedule.of(config), stepsPerEpoch, config.weightDecay());
        double lr = config.learningRate();
        switch (config.optimizer()) {
            case ADAM:
                return new ScheduledAdam(lr, schedule);
            case RMSPROP:
                return new ScheduledRMSprop(lr, schedule);
            case SGD:
                return new ScheduledSgd(lr, config.weightDecay(), config.momentum(), schedule);
            default:
                throw new IllegalArgumentException("unknown optimizer " + config.optimizer());
        }
    }

    /** The schedule and the decay, shared by the three methods below. */
    static final class Schedule implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final LearningRateSchedule rates;
        final long stepsPerEpoch;
        final float decay;

        Schedule(LearningRateSchedule rates, long stepsPerEpoch, double decay) {
            this.rates = rates;
            this.stepsPerEpoch = stepsPerEpoch;
            this.decay = (float) decay;
        }

        /** The rate for the step BigDL is about to take; it sets "epoch" and "neval" before each step. */
        double rate(Table state) {
            int epoch = counter(state, "epoch"), neval = counter(state, "neval");
            return rates.rate(LearningRateSchedule.progress(epoch, neval, stepsPerEpoch));
        }

        private static int counter(Table state, String key) {
            scala.Option<Object> v = state.get(key);
            return v.isDefined() ? ((Number) v.get()).intValue() : 1;
        }

        /** {@code feval} with {@code decay x w} added to its gradient. */
        Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> decayed(
                Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> feval) {
            if (decay == 0f) return feval;
            return new AbstractFunction1<Tensor<Float>, Tuple2<Float, Tensor<Float>>>() {
                @Override
                public Tuple2<Float, Tensor<Float>> apply(Tensor<Float> w) {
                    Tuple2<Float, Tensor<Float>> r = feval.apply(w);
                    r._2().add(decay, w);
                    return r;
                }
            };
        }
    }

    /**
     * BigDL's Adam (same hyper-parameters, same state keys {@code s}, {@code r}, {@code evalCounter}, so
     * checkpoints move between the two), with the update done in one pass over the parameters instead of
     * BigDL's nine tensor operations: inside DistriOptimizer this step runs between every two
     * iterations on a single thread, over every weight of the model.
     */
    static final class ScheduledAdam extends Adam<Float> {
        private static final long serialVersionUID = 1L;
        private static final double BETA1 = 0.9, BETA2 = 0.999;
        private static final float EPS = 1e-8f;
        private final Schedule schedule;

        ScheduledAdam(double lr, Schedule schedule) {
            super(lr, 0.0, BETA1, BETA2, EPS, BigDL.FLOAT, BigDL.NUM);
            this.schedule = schedule;
        }

        @Override
        public Tuple2<Tensor<Float>, Object> optimize(
                Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> feval, Tensor<Float> w) {
            learningRate_$eq(schedule.rate(state()));
            Tuple2<Float, Tensor<Float>> fx = feval.apply(w);
            Tensor<Float> g = fx._2();
            if (!w.isContiguous() || !g.isContiguous() || w.nElement() != g.nElement()) {
                return super.optimize(schedule.decayed(constant(fx)), w);
            }
            int t = (Integer) state().getOrElse("evalCounter", 0) + 1;
            Tensor<Float> m = moment("s", w.nElement()), v = moment("r", w.nElement());
            float stepSize = (float) (learningRate() * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t)));
            float b1 = (float) BETA1, c1 = (float) (1 - BETA1), b2 = (float) BETA2, c2 = (float) (1 - BETA2);
            float decay = schedule.decay;
            float[] wa = array(w), ga = array(g), ma = array(m), va = array(v);
            int wo = w.storageOffset() - 1, go = g.storageOffset() - 1;
            for (int i = 0, n = (int) w.nElement(); i < n; i++) {
                float gi = ga[go + i] + decay * wa[wo + i];
                float mi = b1 * ma[i] + c1 * gi, vi = b2 * va[i] + c2 * gi * gi;
                ma[i] = mi;
                va[i] = vi;
                wa[wo + i] -= stepSize * mi / ((float) Math.sqrt(vi) + EPS);
            }
            state().update("evalCounter", t);
            return new Tuple2<>(w, new float[] {fx._1()});
        }

        /** A moment vector from the state (zeros on the first step), as a contiguous tensor of n values. */
        private Tensor<Float> moment(String key, long n) {
            scala.Option<Object> kept = state().get(key);
            Tensor<Float> t = kept.isDefined() ? (Tensor<Float>) kept.get() : null;
            if (t == null || t.nElement() != n || !t.isContiguous() || t.storageOffset() != 1) {
                Tensor<Float> fresh = BigDL.tensor((int) n);
                if (t != null && t.nElement() == n) fresh.copy(t.view(fresh.size()));
                t = fresh;
                state().update(key, t);
            }
            return t;
        }

        private static float[] array(Tensor<Float> t) {
            return (float[]) t.storage().array();
        }

        private static Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> constant(
                Tuple2<Float, Tensor<Float>> fx) {
            return new AbstractFunction1<Tensor<Float>, Tuple2<Float, Tensor<Float>>>() {
                @Override
                public Tuple2<Float, Tensor<Float>> apply(Tensor<Float> ignored) {
                    return fx;
                }
            };
        }
    }

    static final class ScheduledRMSprop extends RMSprop<Float> {
        private static final long serialVersionUID = 1L;
        private final Schedule schedule;

        ScheduledRMSprop(double lr, Schedule schedule) {
            super(lr, 0.0, 0.99, 1e-8, BigDL.FLOAT, BigDL.NUM);
            this.schedule = schedule;
        }

        @Override
        public Tuple2<Tensor<Float>, Object> optimize(
                Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> feval, Tensor<Float> w) {
            learningRate_$eq(schedule.rate(state()));
            return super.optimize(schedule.decayed(feval), w);
        }
    }

    /** SGD applies its own weight decay; BigDL's default rate rule reads the rate set here. */
    static final class ScheduledSgd extends SGD<Float> {
        private static final long serialVersionUID = 1L;
        private final Schedule schedule;

        ScheduledSgd(double lr, double weightDecay, double momentum, Schedule schedule) {
            super(
                    lr,
                    0.0,
                    weightDecay,
                    momentum,
                    0.0,
                    momentum > 0,
                    new SGD.Default(),
                    null,
                    null,
                    BigDL.FLOAT,
                    BigDL.NUM);
            this.schedule = schedule;
        }

        @Override
        public Tuple2<Tensor<Float>, Object> optimize(
                Function1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> feval, Tensor<Float> w) {
            learningRate_$eq(schedule.rate(state()));
            return super.optimize(feval, w);
        }
    }
}
