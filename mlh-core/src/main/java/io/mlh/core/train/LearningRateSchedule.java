package io.mlh.core.train;

import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.LrPolicy;
import java.io.Serializable;

/**
 * The learning rate at a point of training, given in epochs done (fractional: 2.5 = half-way through
 * the third epoch). An optional linear warm-up over {@code warmupEpochs}, then {@code constant},
 * {@code step} (times {@code gamma} every {@code stepEpochs}) or {@code cosine} (half a cosine from the
 * base rate down to zero at the last epoch). Evaluated every step, so replicas and resumed runs agree.
 */
public final class LearningRateSchedule implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LrPolicy policy;
    private final double base, gamma;
    private final int epochs, stepEpochs, warmupEpochs;

    public LearningRateSchedule(
            LrPolicy policy, double base, int epochs, int stepEpochs, double gamma, int warmupEpochs) {
        this.policy = policy;
        this.base = base;
        this.epochs = epochs;
        this.stepEpochs = stepEpochs;
        this.gamma = gamma;
        this.warmupEpochs = warmupEpochs;
    }

    public static LearningRateSchedule of(MlhConfig c) {
        return new LearningRateSchedule(
                c.lrPolicy(), c.learningRate(), c.epochs(), c.lrStepEpochs(), c.lrGamma(), c.lrWarmupEpochs());
    }

    /** The rate for a step taken after {@code epochsDone} epochs (>= 0) of training. */
    public double rate(double epochsDone) {
        double t = Math.max(0, epochsDone);
        if (t < warmupEpochs) return base * Math.min(1, (t + 1e-3) / warmupEpochs);
        switch (policy) {
            case CONSTANT:
                return base;
            case STEP:
                return base * Math.pow(gamma, Math.floor(t / stepEpochs));
            case COSINE:
                double span = Math.max(1, epochs - warmupEpochs);
                return base * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (t - warmupEpochs) / span)));
            default:
                throw new IllegalStateException("unknown policy " + policy);
        }
    }

    /**
     * Epochs done at BigDL step {@code neval} (1-based, counted over the whole run) within epoch
     * {@code epoch} (1-based), with {@code stepsPerEpoch} steps an epoch; kept inside the epoch
     * BigDL reports, since its epochs end on a sample count rather than a step count.
     */
    public static double progress(int epoch, int neval, long stepsPerEpoch) {
        double t = (neval - 1) / (double) Math.max(1, stepsPerEpoch);
        return Math.min(Math.max(t, epoch - 1), epoch - 1e-9);
    }
}
