package io.mlh.core.centres;

import java.math.BigInteger;

/**
 * The Gilbert–Varshamov distance used as the default minimum distance between hash centres (as in
 * MDS): the d with sum_{i<=d-2} C(q,i) < 2^q / c <= sum_{i<=d-1} C(q,i). A code of c words and
 * length q with that minimum distance always exists.
 */
public final class GilbertVarshamov {
    private GilbertVarshamov() {}

    public static int distance(int bits, int classes) {
        if (bits < 1 || classes < 2)
            throw new IllegalArgumentException("need bits >= 1 and classes >= 2, got " + bits + ", " + classes);
        BigInteger space = BigInteger.ONE.shiftLeft(bits), c = BigInteger.valueOf(classes);
        BigInteger ball = BigInteger.ZERO, binomial = BigInteger.ONE; // C(q, 0)
        for (int m = 0; m <= bits; m++) {
            ball = ball.add(binomial); // sum_{i<=m} C(q, i)
            if (c.multiply(ball).compareTo(space) >= 0) return m + 1;
            binomial = binomial.multiply(BigInteger.valueOf(bits - m)).divide(BigInteger.valueOf(m + 1));
        }
        return bits + 1; // unreachable: the full ball holds 2^q
    }
}
