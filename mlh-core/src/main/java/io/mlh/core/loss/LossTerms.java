package io.mlh.core.loss;

import java.io.Serializable;

/** The loss terms of one training step (NaN where a term did not train at that step). */
public final class LossTerms implements Serializable {
    private static final long serialVersionUID = 1L;
    static final LossTerms NONE = new LossTerms(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    public final long step;
    public final double centre, pairwise, mutual, total;

    public LossTerms(long step, double centre, double pairwise, double mutual, double total) {
        this.step = step;
        this.centre = centre;
        this.pairwise = pairwise;
        this.mutual = mutual;
        this.total = total;
    }

    @Override
    public String toString() {
        return String.format("step %d: L=%.5f L_C=%.5f L_P=%.5f L_M=%.5f", step, total, centre, pairwise, mutual);
    }
}
