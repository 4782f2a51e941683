package io.mlh.core.loss;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loss terms of one training step (NaN where a term did not train at that step): the criterion's
 * L_C, L_P, L_M and their weighted total, and the MoH's own terms where the model has them (balance and
 * diversity, unweighted, by the label the logs give them: {@code MixtureOfHashExperts.terms}).
 */
public final class LossTerms implements Serializable {
    private static final long serialVersionUID = 2L;
    static final LossTerms NONE = new LossTerms(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    public final long step;
    public final double centre, pairwise, mutual, total;
    /** The MoH's balance and diversity terms by label, in the model's order; empty without them. */
    public final Map<String, Double> moh;

    public LossTerms(long step, double centre, double pairwise, double mutual, double total) {
        this(step, centre, pairwise, mutual, total, Collections.<String, Double>emptyMap());
    }

    private LossTerms(long step, double centre, double pairwise, double mutual, double total, Map<String, Double> moh) {
        this.step = step;
        this.centre = centre;
        this.pairwise = pairwise;
        this.mutual = mutual;
        this.total = total;
        this.moh = moh;
    }

    /** These terms with the MoH's terms' values beside them. */
    public LossTerms withMoh(Map<String, Double> values) {
        return new LossTerms(
                step, centre, pairwise, mutual, total, Collections.unmodifiableMap(new LinkedHashMap<>(values)));
    }

    /** The terms as the training logs print them: {@code L=... L_C=... L_P=... L_M=...}, then any MoH term's. */
    public String values() {
        StringBuilder out =
                new StringBuilder(String.format("L=%.4f L_C=%.4f L_P=%.4f L_M=%.4f", total, centre, pairwise, mutual));
        for (Map.Entry<String, Double> e : moh.entrySet())
            out.append(String.format(" %s=%.4f", e.getKey(), e.getValue()));
        return out.toString();
    }

    @Override
    public String toString() {
        return "step " + step + ": " + values();
    }
}
