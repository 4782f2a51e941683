package io.mlh.core.codes;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.config.MlhConfig.EncodeBranch;
import io.mlh.core.data.LabelledImages;
import io.mlh.core.model.MlhNet;

/** Runs a trained MLH network over images in batches and returns both branches' continuous codes. */
public final class HashEncoder {
    private HashEncoder() {}

    /** Continuous codes of both branches, N x q each, in (-1, 1). */
    public static final class BranchCodes {
        public final float[][] centre, pairwise;

        BranchCodes(float[][] centre, float[][] pairwise) {
            this.centre = centre;
            this.pairwise = pairwise;
        }

        /** Retrieval codes b = sign(u) of the chosen branch (sign(0) = +1). */
        public PackedCodes binary(EncodeBranch branch) {
            return PackedCodes.fromSigns(branch == EncodeBranch.PAIRWISE ? pairwise : centre);
        }
    }

    public static BranchCodes encode(
            AbstractModule<Activity, Activity, Float> net, LabelledImages images, int batchSize) {
        net.evaluate();
        int n = images.size(), per = images.imageSize();
        float[][] uc = new float[n][], up = new float[n][];
        for (int from = 0; from < n; from += batchSize) {
            int m = Math.min(batchSize, n - from);
            float[] px = new float[m * per];
            System.arraycopy(images.pixels, from * per, px, 0, m * per);
            Table out = net.forward(BigDL.tensor(px, m, images.channels, images.height, images.width))
                    .toTable();
            float[][] c = BigDL.toMatrix(MlhNet.centre(out)), p = BigDL.toMatrix(MlhNet.pairwise(out));
            System.arraycopy(c, 0, uc, from, m);
            System.arraycopy(p, 0, up, from, m);
        }
        return new BranchCodes(uc, up);
    }
}
