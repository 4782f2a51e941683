package io.mlh.core.centres;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One q-bit hash centre (entries ±1) per class, built as in CSQ: rows of [H; -H] with H the q x q
 * Sylvester Hadamard matrix when q is a power of two and there are at most 2q classes (any two such
 * rows differ in q/2 or q bits), otherwise balanced random vectors (q/2 entries -1) searched until the
 * minimum pairwise Hamming distance reaches the target. The target defaults to the Gilbert–Varshamov
 * value. Deterministic given (classes, bits, seed, target); saved with the model as JSON.
 */
public final class HashCentres implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final int GREEDY_TRIES = 2_000, SWAP_STEPS = 400_000;

    private final int classes, bits, target, minDistance;
    private final long seed;
    private final String construction;
    private final float[][] centres;
    private final float[] tieBreaker;

    private HashCentres(int bits, long seed, int target, String construction, float[][] centres, float[] tieBreaker) {
        this.classes = centres.length;
        this.bits = bits;
        this.seed = seed;
        this.target = target;
        this.construction = construction;
        this.centres = centres;
        this.tieBreaker = tieBreaker;
        this.minDistance = minDistance(centres);
    }

    /** Centres for {@code classes} classes; {@code targetDistance <= 0} means the Gilbert–Varshamov value. */
    public static HashCentres generate(int classes, int bits, long seed, int targetDistance) {
        if (classes < 2) throw new IllegalArgumentException("hash centres need at least 2 classes, got " + classes);
        if (bits < 8 || bits > 1024 || bits % 8 != 0) throw new IllegalArgumentException("bits must be a multiple of 8 in 8..1024, got " + bits);
        int target = targetDistance > 0 ? targetDistance : GilbertVarshamov.distance(bits, classes);
        SplittableRandom random = new SplittableRandom(seed);
        float[] tieBreaker = new float[bits];
        for (int k = 0; k < bits; k++) tieBreaker[k] = random.nextBoolean() ? 1 : -1;

        boolean powerOfTwo = Integer.bitCount(bits) == 1;
        if (powerOfTwo && classes <= 2 * bits && bits / 2 >= target) {
            return new HashCentres(bits, seed, target, "hadamard", hadamardRows(classes, bits), tieBreaker);
        }
        long[][] words = BalancedSearch.run(classes, bits, target, random, GREEDY_TRIES, SWAP_STEPS);
        float[][] c = toSigns(words, bits);
        int reached = minDistance(c);
        if (reached < target) {
            throw new IllegalArgumentException(String.format(
                    "cannot place %d balanced %d-bit hash centres at minimum distance %d (best reached: %d); "
                            + "lower mlh.centre.min-distance or use more bits", classes, bits, target, reached));
        }
        return new HashCentres(bits, seed, target, "random", c, tieBreaker);
    }

    /** Rows of [H; -H], H the Sylvester Hadamard matrix: H[i][j] = (-1)^popcount(i & j). */
    private static float[][] hadamardRows(int classes, int bits) {
        float[][] c = new float[classes][bits];
        for (int r = 0; r < classes; r++) {
            int i = r % bits;
            float sign = r < bits ? 1 : -1;
            for (int j = 0; j < bits; j++) c[r][j] = sign * ((Integer.bitCount(i & j) & 1) == 0 ? 1 : -1);
        }
        return c;
    }

    // ------------------------------------------------------------------ accessors

    public int classes() { return classes; }
    public int bits() { return bits; }
    public long seed() { return seed; }
    public int targetDistance() { return target; }
    /** The actual minimum pairwise Hamming distance. */
    public int minDistance() { return minDistance; }
    /** "hadamard" or "random". */
    public String construction() { return construction; }

    public float[] centre(int c) {
        return centres[c].clone();
    }

    public float[][] asMatrix() {
        float[][] m = new float[classes][];
        for (int c = 0; c < classes; c++) m[c] = centres[c].clone();
        return m;
    }

    public float[] tieBreaker() {
        return tieBreaker.clone();
    }

    /**
     * A sample's own centre: its class's centre, or for several labels the sign of the sum of their
     * centres, ties taken from the fixed seeded tie-breaker.
     */
    public float[] targetCentre(float[] multiHot) {
        if (multiHot.length != classes) throw new IllegalArgumentException("label vector has " + multiHot.length + " entries, expected " + classes);
        float[] sum = new float[bits];
        int positives = 0;
        for (int c = 0; c < classes; c++) {
            if (multiHot[c] > 0) {
                positives++;
                for (int k = 0; k < bits; k++) sum[k] += centres[c][k];
            }
        }
        if (positives == 0) throw new IllegalArgumentException("label vector has no positive class");
        for (int k = 0; k < bits; k++) sum[k] = sum[k] > 0 ? 1 : sum[k] < 0 ? -1 : tieBreaker[k];
        return sum;
    }

    // ------------------------------------------------------------------ persistence

    /** {"classes":..,"bits":..,"seed":..,"target":..,"construction":"..","centres":["0110..",..],"tieBreaker":".."}, 1 = +1. */
    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\"classes\":").append(classes).append(",\"bits\":").append(bits).append(",\"seed\":").append(seed)
                .append(",\"target\":").append(target).append(",\"construction\":\"").append(construction).append("\",\"centres\":[");
        for (int c = 0; c < classes; c++) b.append(c == 0 ? "" : ",").append('"').append(bitString(centres[c])).append('"');
        return b.append("],\"tieBreaker\":\"").append(bitString(tieBreaker)).append("\"}").toString();
    }

    public static HashCentres fromJson(String json) {
        String s = json.replaceAll("\\s", "");
        int bits = Integer.parseInt(field(s, "bits"));
        long seed = Long.parseLong(field(s, "seed"));
        int target = Integer.parseInt(field(s, "target"));
        String construction = field(s, "construction").replace("\"", "");
        int open = s.indexOf("\"centres\":[") + 11, close = s.indexOf(']', open);
        String[] rows = s.substring(open, close).replace("\"", "").split(",");
        float[][] centres = new float[rows.length][];
        for (int c = 0; c < rows.length; c++) centres[c] = signs(rows[c], bits);
        HashCentres h = new HashCentres(bits, seed, target, construction, centres,
                signs(field(s, "tieBreaker").replace("\"", ""), bits));
        if (h.classes != Integer.parseInt(field(s, "classes"))) throw new IllegalArgumentException("hash centres JSON: class count disagrees with its rows");
        return h;
    }

    private static String field(String s, String name) {
        int at = s.indexOf("\"" + name + "\":");
        if (at < 0) throw new IllegalArgumentException("hash centres JSON has no field '" + name + "'");
        int from = at + name.length() + 3, to = from;
        while (to < s.length() && s.charAt(to) != ',' && s.charAt(to) != '}') to++;
        return s.substring(from, to);
    }

    private static String bitString(float[] v) {
        StringBuilder b = new StringBuilder(v.length);
        for (float x : v) b.append(x > 0 ? '1' : '0');
        return b.toString();
    }

    private static float[] signs(String bitsString, int bits) {
        if (bitsString.length() != bits) throw new IllegalArgumentException("hash centre '" + bitsString + "' is not " + bits + " bits");
        float[] v = new float[bits];
        for (int k = 0; k < bits; k++) {
            char ch = bitsString.charAt(k);
            if (ch != '0' && ch != '1') throw new IllegalArgumentException("hash centre has a character '" + ch + "' that is not 0 or 1");
            v[k] = ch == '1' ? 1 : -1;
        }
        return v;
    }

    static float[][] toSigns(long[][] words, int bits) {
        float[][] c = new float[words.length][bits];
        for (int r = 0; r < words.length; r++) {
            for (int k = 0; k < bits; k++) c[r][k] = ((words[r][k >>> 6] >>> (k & 63)) & 1) != 0 ? 1 : -1;
        }
        return c;
    }

    static int minDistance(float[][] c) {
        int best = Integer.MAX_VALUE;
        for (int a = 0; a < c.length; a++) {
            for (int b = a + 1; b < c.length; b++) {
                int d = 0;
                for (int k = 0; k < c[a].length; k++) if (c[a][k] != c[b][k]) d++;
                best = Math.min(best, d);
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HashCentres && Arrays.deepEquals(centres, ((HashCentres) o).centres)
                && Arrays.equals(tieBreaker, ((HashCentres) o).tieBreaker);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(centres);
    }
}
