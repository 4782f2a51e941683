package io.mlh.core.train;

import com.intel.analytics.bigdl.optim.Adam;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.optim.RMSprop;
import com.intel.analytics.bigdl.optim.SGD;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig;

/** BigDL optimisation methods from the config, with BigDL's own defaults spelled out. */
public final class Optimizers {
    private Optimizers() {}

    public static OptimMethod<Float> create(MlhConfig config) {
        double lr = config.learningRate();
        switch (config.optimizer()) {
            case ADAM:
                return new Adam<>(lr, 0.0, 0.9, 0.999, 1e-8, BigDL.FLOAT, BigDL.NUM);
            case RMSPROP:
                return new RMSprop<>(lr, 0.0, 0.99, 1e-8, BigDL.FLOAT, BigDL.NUM);
            case SGD:
                return new SGD<>(lr, 0.0, config.weightDecay(), config.momentum(), 0.0, config.momentum() > 0,
                        new SGD.Default(), null, null, BigDL.FLOAT, BigDL.NUM);
            default:
                throw new IllegalArgumentException("unknown optimizer " + config.optimizer());
        }
    }
}
