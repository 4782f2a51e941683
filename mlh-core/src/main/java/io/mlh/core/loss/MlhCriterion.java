package io.mlh.core.loss;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractCriterion;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.MutualMode;
import io.mlh.core.loss.MutualLoss.Direction;
import io.mlh.core.model.MlhNet;

/**
 * The MLH training objective as a BigDL criterion over the model's output table (u_c, u_p) and an
 * N x C multi-hot label tensor:
 *
 * <pre>
 *   L = l1 L_C + l2 L_P + l3 L_M
 * </pre>
 *
 * The method decides which terms exist (csq / mds: centre branch alone; dpsh: pairwise branch alone;
 * mlh / dual: both, coupled by L_M). The schedule follows {@code mutual.mode}: {@code joint} uses every
 * term each step; {@code alternate} uses l1 L_C + l3 L_M-toward-pairwise on odd steps and
 * l2 L_P + l3 L_M-toward-centre on even steps. Before {@code mutual.start-epoch} only L_C trains.
 *
 * <p>Steps are counted by this criterion's own forward calls: in synchronous data-parallel training
 * every replica sees every iteration, so replicas agree on the step and epoch without talking.
 * {@code forward} computes the loss and the gradients together; {@code backward} returns them.
 */
public final class MlhCriterion extends AbstractCriterion<Table, Tensor<Float>, Float> {
    private static final long serialVersionUID = 1L;

    private final boolean centreBranch, pairwiseBranch, mutual, csqCentre, alternate;
    private final double centreWeight, pairwiseWeight, mutualWeight, beta, alpha, centreScale;
    private final int startEpoch;
    private final long stepsPerEpoch;
    private final HashCentres centres;
    private final float[][] centreMatrix;

    private long step;
    private LossTerms last = LossTerms.NONE;

    /**
     * @param stepsPerEpoch iterations in one epoch (needed only when {@code mutual.start-epoch > 0})
     */
    public MlhCriterion(MlhConfig config, HashCentres centres, long stepsPerEpoch) {
        super(BigDL.TABLE_TAG, BigDL.TENSOR_TAG, BigDL.FLOAT, BigDL.NUM);
        if (centres.bits() != config.bits() || centres.classes() != config.classes()) {
            throw new IllegalArgumentException("hash centres are " + centres.classes() + " x " + centres.bits()
                    + " but the config says " + config.classes() + " classes x " + config.bits() + " bits");
        }
        if (config.mutualStartEpoch() > 0 && stepsPerEpoch <= 0) {
            throw new IllegalArgumentException("mlh.mutual.start-epoch > 0 needs the number of steps per epoch");
        }
        this.centreBranch = config.usesCentreBranch();
        this.pairwiseBranch = config.usesPairwiseBranch();
        this.mutual = config.usesMutual();
        this.csqCentre = config.effectiveCentreLoss() == MlhConfig.CentreLoss.CSQ;
        this.alternate = config.mutualMode() == MutualMode.ALTERNATE;
        this.centreWeight = config.centreWeight();
        this.pairwiseWeight = config.effectivePairwiseWeight();
        this.mutualWeight = config.mutualWeight();
        this.beta = config.centreQuantization();
        this.alpha = config.pairwiseQuantization();
        this.centreScale = config.effectiveCentreScale();
        this.startEpoch = config.mutualStartEpoch();
        this.stepsPerEpoch = stepsPerEpoch;
        this.centres = centres;
        this.centreMatrix = centres.asMatrix();
    }

    @Override
    public Float updateOutput(Table input, Tensor<Float> target) {
        Tensor<Float> codesC = MlhNet.centre(input), codesP = MlhNet.pairwise(input);
        float[][] uc = BigDL.toMatrix(codesC), up = BigDL.toMatrix(codesP);
        float[][] y = Labels.check(BigDL.toMatrix(target), centres.classes(), uc.length);
        step++;

        Phase phase = phase();
        double[][] gc = new double[uc.length][uc[0].length], gp = new double[up.length][up[0].length];
        double lc = Double.NaN, lp = Double.NaN, lm = Double.NaN, total = 0;
        if (phase.centre) {
            BatchLoss l = csqCentre
                    ? CsqCentreLoss.compute(uc, csqTargets(y), beta)
                    : CentreLoss.compute(uc, y, centreMatrix, beta, centreScale);
            lc = l.value;
            total += centreWeight * lc;
            addInto(gc, l.gradCentre, centreWeight);
        }
        if (phase.pairwise) {
            BatchLoss l = PairwiseLoss.compute(up, y, alpha);
            lp = l.value;
            total += pairwiseWeight * lp;
            addInto(gp, l.gradPairwise, pairwiseWeight);
        }
        if (phase.mutual != null) {
            BatchLoss l = MutualLoss.compute(uc, up, phase.mutual);
            lm = l.value;
            addInto(gc, l.gradCentre, mutualWeight);
            addInto(gp, l.gradPairwise, mutualWeight);
            total += mutualWeight * lm;
        }
        last = new LossTerms(step, lc, lp, lm, total);
        gradInput_$eq(BigDL.table(toTensor(gc, codesC), toTensor(gp, codesP)));
        output_$eq((float) total);
        return output();
    }

    @Override
    public Table updateGradInput(Table input, Tensor<Float> target) {
        return gradInput();
    }

    /** The terms of the most recent step, for logs and summaries. */
    public LossTerms lastTerms() {
        return last;
    }

    /**
     * Sets the steps already trained, e.g. before each distributed epoch or on resume: replicas are
     * cloned from this criterion and count on from here.
     */
    public void startAt(long stepsDone) {
        if (stepsDone < 0) throw new IllegalArgumentException("negative step " + stepsDone);
        this.step = stepsDone;
    }

    /** Forward calls so far (= training iterations seen by this replica). */
    public long step() {
        return step;
    }

    /** Which terms train at the current step. */
    private Phase phase() {
        if (!pairwiseBranch) return Phase.CENTRE_ONLY;
        if (!centreBranch) return Phase.PAIRWISE_ONLY;
        long epoch = stepsPerEpoch > 0 ? (step - 1) / stepsPerEpoch : Long.MAX_VALUE;
        if (epoch < startEpoch) return Phase.CENTRE_ONLY;
        if (!mutual) return Phase.BOTH_NO_MUTUAL;
        if (!alternate) return Phase.JOINT;
        return step % 2 == 1 ? Phase.CENTRE_TOWARD_PAIRWISE : Phase.PAIRWISE_TOWARD_CENTRE;
    }

    private enum Phase {
        CENTRE_ONLY(true, false, null),
        PAIRWISE_ONLY(false, true, null),
        BOTH_NO_MUTUAL(true, true, null),
        JOINT(true, true, Direction.JOINT),
        CENTRE_TOWARD_PAIRWISE(true, false, Direction.TOWARD_PAIRWISE),
        PAIRWISE_TOWARD_CENTRE(false, true, Direction.TOWARD_CENTRE);
        final boolean centre, pairwise;
        final Direction mutual;

        Phase(boolean centre, boolean pairwise, Direction mutual) {
            this.centre = centre;
            this.pairwise = pairwise;
            this.mutual = mutual;
        }
    }

    private float[][] csqTargets(float[][] y) {
        float[][] t = new float[y.length][];
        for (int j = 0; j < y.length; j++) t[j] = centres.targetCentre(y[j]);
        return t;
    }

    /** acc += w * g, where g may be null (the term does not touch that branch). */
    private static void addInto(double[][] acc, double[][] g, double w) {
        if (g == null) return;
        for (int j = 0; j < acc.length; j++) for (int k = 0; k < acc[j].length; k++) acc[j][k] += w * g[j][k];
    }

    private static Tensor<Float> toTensor(double[][] g, Tensor<Float> like) {
        int n = g.length, q = g[0].length;
        float[] flat = new float[n * q];
        for (int j = 0; j < n; j++) for (int k = 0; k < q; k++) flat[j * q + k] = (float) g[j][k];
        return BigDL.tensor(flat, like.size());
    }
}
