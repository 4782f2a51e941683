package io.mlh.core.centres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One q-bit hash centre (entries ±1) per class, built as in CSQ.
 *
 * <ul>
 *   <li>"hadamard": when q is a power of two and classes <= 2q, the first {@code classes} rows of
 *       [H; -H], H the q x q Sylvester Hadamard matrix. Two rows of H differ in exactly q/2 bits, a
 *       row and its negation in q bits, so the minimum distance is q/2. Used only if q/2 meets the
 *       target, which the Gilbert–Varshamov default always does except for 2 classes.</li>
 *   <li>"random": balanced ±1 vectors (exactly q/2 entries -1), searched until the minimum pairwise
 *       Hamming distance reaches the target ({@link BalancedSearch}). Balanced vectors differ in an
 *       even number of bits, so an odd target t is reached at t + 1.</li>
 * </ul>
 *
 * The target defaults to the Gilbert–Varshamov value. The result is a function of (classes, bits,
 * seed, target). Centres are saved with the model, in binary ({@link #writeTo}) or JSON ({@link #toJson}).
 */
public final class HashCentres implements Serializable {
    private static final long serialVersionUID = 2L;

    public static final String HADAMARD = "hadamard", RANDOM = "random";

    // Search budget (BalancedSearch): 80 x 16 bits at distance 6, the hardest paper default, needs
    // 30k-70k steps; the others need under 2k. A hopeless target gives up after STEPS.
    private static final int GREEDY_TRIES = 200, STEPS = 200_000, SAMPLES = 16;

    private static final int MAGIC = 0x4D4C4843; // "MLHC"
    private static final int VERSION = 1;

    private final int bits, target, minDistance;
    private final long seed;
    private final String construction;
    private final float[][] centres;
    private final float[] tieBreaker;

    private HashCentres(int bits, long seed, int target, String construction, float[][] centres, float[] tieBreaker) {
        this.bits = bits;
        this.seed = seed;
        this.target = target;
        this.construction = construction;
        this.centres = centres;
        this.tieBreaker = tieBreaker;
        this.minDistance = minDistance(centres);
    }

    /** The Gilbert–Varshamov distance for {@code classes} centres of {@code bits} bits (the default target). */
    public static int gilbertVarshamov(int bits, int classes) {
        return GilbertVarshamov.distance(bits, classes);
    }

    /**
     * Centres for {@code classes} classes of {@code bits} bits.
     *
     * @param targetDistance minimum pairwise Hamming distance to reach; {@code <= 0} means the
     *                       Gilbert–Varshamov value
     * @throws IllegalArgumentException on bad sizes, or when the search cannot reach the target
     */
    public static HashCentres generate(int classes, int bits, long seed, int targetDistance) {
        if (classes < 2) throw new IllegalArgumentException("hash centres need at least 2 classes, got " + classes);
        checkBits(bits);
        int target = targetDistance > 0 ? targetDistance : gilbertVarshamov(bits, classes);
        if (target > bits) {
            throw new IllegalArgumentException(
                    "hash centre target distance " + target + " exceeds the code length " + bits);
        }
        SplittableRandom random = new SplittableRandom(seed);
        // drawn first, so it depends on the seed alone and not on the construction
        float[] tieBreaker = new float[bits];
        for (int k = 0; k < bits; k++) tieBreaker[k] = random.nextBoolean() ? 1 : -1;

        if (Integer.bitCount(bits) == 1 && classes <= 2 * bits && bits / 2 >= target) {
            return new HashCentres(bits, seed, target, HADAMARD, hadamardRows(classes, bits), tieBreaker);
        }
        int goal = target + (target & 1); // balanced vectors are an even distance apart
        BalancedSearch.Result found = BalancedSearch.run(classes, bits, goal, random, GREEDY_TRIES, STEPS, SAMPLES);
        if (found.minDistance < goal) {
            throw new IllegalArgumentException(String.format(
                    "cannot place %d balanced %d-bit hash centres at minimum Hamming distance %d%s: the best "
                            + "minimum distance reached is %d; lower mlh.centre.min-distance or use more bits",
                    classes,
                    bits,
                    target,
                    goal == target ? "" : " (" + goal + ", distances are even)",
                    found.minDistance));
        }
        return new HashCentres(bits, seed, target, RANDOM, toSigns(found.rows, bits), tieBreaker);
    }

    private static void checkBits(int bits) {
        if (bits < 8 || bits > 1024 || bits % 8 != 0) {
            throw new IllegalArgumentException("hash centre bits must be a multiple of 8 in 8..1024, got " + bits);
        }
    }

    /** Rows of [H; -H] with the Sylvester Hadamard matrix H[i][j] = (-1)^popcount(i & j). */
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

    public int classes() {
        return centres.length;
    }

    public int bits() {
        return bits;
    }

    public long seed() {
        return seed;
    }
    /** The requested minimum distance (the Gilbert–Varshamov value unless one was given). */
    public int targetDistance() {
        return target;
    }
    /** The actual minimum pairwise Hamming distance (>= the target). */
    public int minDistance() {
        return minDistance;
    }
    /** {@link #HADAMARD} or {@link #RANDOM}. */
    public String construction() {
        return construction;
    }

    /** Class {@code c}'s centre (a copy). */
    public float[] centre(int c) {
        return centres[c].clone();
    }

    /** All centres, classes x bits (a copy). */
    public float[][] asMatrix() {
        float[][] m = new float[centres.length][];
        for (int c = 0; c < centres.length; c++) m[c] = centres[c].clone();
        return m;
    }

    /** The fixed seeded ±1 vector that settles ties in {@link #targetCentre} (a copy). */
    public float[] tieBreaker() {
        return tieBreaker.clone();
    }

    /**
     * A sample's own centre, for the CSQ-style loss: with one positive label exactly that class's
     * centre, with several the sign of the sum of their centres, bits that sum to 0 taken from
     * {@link #tieBreaker()} so the target stays ±1 and deterministic.
     */
    public float[] targetCentre(float[] multiHotLabels) {
        if (multiHotLabels.length != centres.length) {
            throw new IllegalArgumentException("label vector has " + multiHotLabels.length + " entries but there are "
                    + centres.length + " classes");
        }
        float[] sum = new float[bits];
        int positives = 0;
        for (int c = 0; c < centres.length; c++) {
            if (multiHotLabels[c] > 0) {
                positives++;
                for (int k = 0; k < bits; k++) sum[k] += centres[c][k];
            }
        }
        if (positives == 0) throw new IllegalArgumentException("label vector has no positive class, so no centre");
        for (int k = 0; k < bits; k++) sum[k] = sum[k] > 0 ? 1 : sum[k] < 0 ? -1 : tieBreaker[k];
        return sum;
    }

    /**
     * SHA-256 (hex) of the binary form: what a code table records of the centres its codes were
     * trained towards, so that codes of other centres are never ranked against them.
     */
    public String fingerprint() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            writeTo(new DataOutputStream(bytes));
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
            StringBuilder hex = new StringBuilder();
            for (byte b : d) hex.append(String.format("%02x", b));
            return hex.toString();
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint the hash centres", e);
        }
    }

    // ------------------------------------------------------------------ binary persistence

    /** Magic, version, sizes, seed, target, construction, then each row and the tie-breaker packed 8 bits a byte. */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(centres.length);
        out.writeInt(bits);
        out.writeLong(seed);
        out.writeInt(target);
        out.writeUTF(construction);
        for (float[] row : centres) out.write(pack(row));
        out.write(pack(tieBreaker));
    }

    public static HashCentres readFrom(DataInput in) throws IOException {
        int magic = in.readInt();
        if (magic != MAGIC)
            throw new IOException(String.format("not hash centres: magic 0x%08X, expected 0x%08X", magic, MAGIC));
        int version = in.readInt();
        if (version != VERSION)
            throw new IOException(
                    "hash centres format version " + version + " is not supported (expected " + VERSION + ")");
        int classes = in.readInt(), bits = in.readInt();
        long seed = in.readLong();
        int target = in.readInt();
        String construction = in.readUTF();
        checkStored(classes, bits, construction);
        float[][] centres = new float[classes][];
        byte[] row = new byte[bits / 8];
        for (int c = 0; c < classes; c++) {
            in.readFully(row);
            centres[c] = unpack(row, bits);
        }
        in.readFully(row);
        return new HashCentres(bits, seed, target, construction, centres, unpack(row, bits));
    }

    private static void checkStored(int classes, int bits, String construction) {
        if (classes < 2) throw new IllegalArgumentException("stored hash centres have " + classes + " classes");
        checkBits(bits);
        if (!HADAMARD.equals(construction) && !RANDOM.equals(construction)) {
            throw new IllegalArgumentException("unknown hash centre construction '" + construction + "'");
        }
    }

    private static byte[] pack(float[] v) {
        byte[] b = new byte[v.length / 8];
        for (int k = 0; k < v.length; k++) if (v[k] > 0) b[k >>> 3] |= (byte) (0x80 >>> (k & 7));
        return b;
    }

    private static float[] unpack(byte[] b, int bits) {
        float[] v = new float[bits];
        for (int k = 0; k < bits; k++) v[k] = (b[k >>> 3] & (0x80 >>> (k & 7))) != 0 ? 1 : -1;
        return v;
    }

    // ------------------------------------------------------------------ JSON persistence

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * {"classes":..,"bits":..,"seed":..,"target":..,"construction":"..","centres":["0110..",..],"tieBreaker":".."},
     * each centre a string of '1' (+1) and '0' (-1).
     */
    public String toJson() {
        ObjectNode j = JSON.createObjectNode();
        j.put("classes", centres.length);
        j.put("bits", bits);
        j.put("seed", seed);
        j.put("target", target);
        j.put("construction", construction);
        ArrayNode rows = j.putArray("centres");
        for (float[] c : centres) rows.add(bitString(c));
        j.put("tieBreaker", bitString(tieBreaker));
        return j.toString();
    }

    /** Reads {@link #toJson()} output (or any JSON object with those fields), naming what is missing or malformed. */
    public static HashCentres fromJson(String json) {
        JsonNode j;
        try {
            j = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("hash centres JSON does not parse: " + e.getMessage(), e);
        }
        if (j == null || !j.isObject()) throw new IllegalArgumentException("hash centres JSON is not an object");
        int classes = field(j, "classes").asInt(),
                bits = field(j, "bits").asInt(),
                target = field(j, "target").asInt();
        long seed = field(j, "seed").asLong();
        String construction = field(j, "construction").asText();
        checkStored(classes, bits, construction);
        JsonNode rows = field(j, "centres");
        if (!rows.isArray()) throw new IllegalArgumentException("hash centres JSON: 'centres' is not an array");
        if (rows.size() != classes) {
            throw new IllegalArgumentException(
                    "hash centres JSON says " + classes + " classes but has " + rows.size() + " centres");
        }
        float[][] centres = new float[classes][];
        for (int c = 0; c < classes; c++) centres[c] = signs(rows.get(c).asText(), bits, "centre " + c);
        return new HashCentres(
                bits,
                seed,
                target,
                construction,
                centres,
                signs(field(j, "tieBreaker").asText(), bits, "tieBreaker"));
    }

    private static JsonNode field(JsonNode j, String name) {
        JsonNode v = j.get(name);
        if (v == null || v.isNull())
            throw new IllegalArgumentException("hash centres JSON has no field '" + name + "'");
        if (!v.isValueNode() && !v.isArray())
            throw new IllegalArgumentException("hash centres JSON: '" + name + "' is not a value");
        return v;
    }

    private static String bitString(float[] v) {
        StringBuilder b = new StringBuilder(v.length);
        for (float x : v) b.append(x > 0 ? '1' : '0');
        return b.toString();
    }

    private static float[] signs(String ones, int bits, String what) {
        if (ones.length() != bits)
            throw new IllegalArgumentException(
                    "hash centres JSON: " + what + " has " + ones.length() + " bits, expected " + bits);
        float[] v = new float[bits];
        for (int k = 0; k < bits; k++) {
            char ch = ones.charAt(k);
            if (ch != '0' && ch != '1')
                throw new IllegalArgumentException("hash centres JSON: " + what + " has '" + ch + "', not 0 or 1");
            v[k] = ch == '1' ? 1 : -1;
        }
        return v;
    }

    private static float[][] toSigns(long[][] words, int bits) {
        float[][] c = new float[words.length][bits];
        for (int r = 0; r < words.length; r++) {
            for (int k = 0; k < bits; k++) c[r][k] = ((words[r][k >>> 6] >>> (k & 63)) & 1) != 0 ? 1 : -1;
        }
        return c;
    }

    private static int minDistance(float[][] c) {
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
        if (!(o instanceof HashCentres)) return false;
        HashCentres h = (HashCentres) o;
        return bits == h.bits
                && seed == h.seed
                && target == h.target
                && construction.equals(h.construction)
                && Arrays.deepEquals(centres, h.centres)
                && Arrays.equals(tieBreaker, h.tieBreaker);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.deepHashCode(centres) + Arrays.hashCode(tieBreaker);
    }

    @Override
    public String toString() {
        return String.format(
                "HashCentres[%d classes x %d bits, %s, min distance %d (target %d), seed %d]",
                centres.length, bits, construction, minDistance, target, seed);
    }
}
