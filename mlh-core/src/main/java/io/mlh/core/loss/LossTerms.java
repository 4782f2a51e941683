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

    /** The four terms as the training logs print them: {@code L=... L_C=... L_P=... L_M=...}. */
    public String values() {
        return String.format("L=%.4f L_C=%.4f L_P=%.4f L_M=%.4f", total, centre, pairwise, mutual);
    }

    @Override
    public String toString() {
        return "step " + step + ": " + values();
    }
}
