package io.mlh.core.centres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HashCentresTest {

    // ------------------------------------------------------------------ Gilbert-Varshamov

    @ParameterizedTest(name = "{0} classes, {1} bits -> {2}")
    @CsvSource({
        "10, 16, 6", "10, 32, 13", "10, 64, 28",
        "80, 16, 5", "80, 32, 11", "80, 64, 24",
        "100, 16, 4", "100, 32, 10", "100, 64, 24"
    })
    void gilbertVarshamovMatchesThePaperTargets(int classes, int bits, int expected) {
        assertEquals(expected, HashCentres.gilbertVarshamov(bits, classes));
        assertEquals(expected, GilbertVarshamov.distance(bits, classes));
    }

    /** sum_{i<=d-2} C(q,i) < 2^q / c <= sum_{i<=d-1} C(q,i), checked independently, up to q = 1024. */
    @ParameterizedTest(name = "{0} classes, {1} bits")
    @CsvSource({"2, 8", "3, 8", "10, 48", "100, 256", "100, 1024", "1000, 1000"})
    void gilbertVarshamovSatisfiesItsDefinition(int classes, int bits) {
        int d = GilbertVarshamov.distance(bits, classes);
        BigInteger space = BigInteger.ONE.shiftLeft(bits), c = BigInteger.valueOf(classes);
        assertTrue(c.multiply(ball(bits, d - 2)).compareTo(space) < 0);
        assertTrue(c.multiply(ball(bits, d - 1)).compareTo(space) >= 0);
    }

    private static BigInteger ball(int q, int radius) {
        BigInteger sum = BigInteger.ZERO;
        for (int i = 0; i <= radius; i++) {
            BigInteger binomial = BigInteger.ONE;
            for (int j = 0; j < i; j++)
                binomial = binomial.multiply(BigInteger.valueOf(q - j)).divide(BigInteger.valueOf(j + 1));
            sum = sum.add(binomial);
        }
        return sum;
    }

    // ------------------------------------------------------------------ distance targets

    @ParameterizedTest(name = "{0} classes x {1} bits: {2}")
    @CsvSource({
        "10, 16, hadamard",
        "10, 32, hadamard",
        "10, 64, hadamard",
        "80, 16, random",
        "80, 32, random",
        "80, 64, hadamard",
        "100, 16, random",
        "100, 32, random",
        "100, 64, hadamard",
        "10, 1024, hadamard",
        "100, 1024, hadamard",
        "100, 48, random",
        "1000, 64, random"
    })
    void theGilbertVarshamovTargetIsReached(int classes, int bits, String construction) {
        HashCentres h = HashCentres.generate(classes, bits, 42, 0);
        assertEquals(construction, h.construction());
        assertEquals(classes, h.classes());
        assertEquals(bits, h.bits());
        assertEquals(42, h.seed());
        assertEquals(HashCentres.gilbertVarshamov(bits, classes), h.targetDistance());
        float[][] m = h.asMatrix();
        assertEquals(classes, m.length);
        for (float[] row : m) {
            assertEquals(bits, row.length);
            for (float v : row) assertTrue(v == 1 || v == -1);
        }
        assertEquals(minPairwiseDistance(m), h.minDistance());
        assertTrue(h.minDistance() >= h.targetDistance(), h + " misses its target");
    }

    @Test
    void anOddTargetIsMetAtTheNextEvenDistance() {
        // balanced vectors are an even distance apart: the GV target 17 for 100 x 48 means 18
        HashCentres h = HashCentres.generate(100, 48, 7, 0);
        assertEquals(17, h.targetDistance());
        assertTrue(h.minDistance() >= 18);
        assertEquals(0, h.minDistance() % 2);
    }

    @Test
    void anExplicitTargetAboveTheHadamardDistanceUsesTheSearch() {
        HashCentres h = HashCentres.generate(2, 64, 1, 40); // Hadamard rows are only 32 apart
        assertEquals("random", h.construction());
        assertTrue(h.minDistance() >= 40);
    }

    @Test
    void anUnreachableTargetFailsNamingClassesBitsTargetAndTheBestReached() {
        // Johnson bound: at most 5 balanced 16-bit words are 10 apart
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> HashCentres.generate(10, 16, 42, 10));
        String msg = e.getMessage();
        assertTrue(msg.contains("10 balanced 16-bit hash centres"), msg);
        assertTrue(msg.contains("minimum Hamming distance 10"), msg);
        Matcher best =
                Pattern.compile("best minimum distance reached is (\\d+)").matcher(msg);
        assertTrue(best.find(), msg);
        int reached = Integer.parseInt(best.group(1));
        assertTrue(reached >= 4 && reached < 10, msg); // at least what a greedy draw gives
    }

    @Test
    void aTargetLongerThanTheCodeIsRejectedAtOnce() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> HashCentres.generate(10, 16, 42, 17));
        assertTrue(e.getMessage().contains("17") && e.getMessage().contains("16"), e.getMessage());
    }

    /** The closed form, not the search: what keeps 100 classes at 1024 bits instant (no clock is asserted). */
    @Test
    void hundredClassesAt1024BitsTakeTheHadamardRows() {
        HashCentres h = HashCentres.generate(100, 1024, 3, 0);
        assertEquals(HashCentres.HADAMARD, h.construction());
        assertEquals(512, h.minDistance());
    }

    // ------------------------------------------------------------------ structure

    @ParameterizedTest(name = "{0} classes x {1} bits")
    @CsvSource({"80, 16", "80, 32", "100, 48", "1000, 64", "100, 1000"})
    void randomCentresAreBalanced(int classes, int bits) {
        HashCentres h = HashCentres.generate(classes, bits, 11, 0);
        assertEquals("random", h.construction());
        for (int c = 0; c < classes; c++) {
            int negatives = 0;
            for (float v : h.centre(c)) if (v < 0) negatives++;
            assertEquals(bits / 2, negatives, "centre " + c);
        }
    }

    @Test
    void sameSeedSameCentresDifferentSeedDifferentCentres() {
        HashCentres a = HashCentres.generate(100, 48, 5, 0), b = HashCentres.generate(100, 48, 5, 0);
        assertEquals(a, b);
        assertTrue(Arrays.deepEquals(a.asMatrix(), b.asMatrix()));
        assertArrayEquals(a.tieBreaker(), b.tieBreaker());
        HashCentres other = HashCentres.generate(100, 48, 6, 0);
        assertFalse(Arrays.deepEquals(a.asMatrix(), other.asMatrix()));
        assertNotEquals(a, other);
        // the hardest paper default is deterministic too
        assertEquals(HashCentres.generate(80, 16, 9, 0), HashCentres.generate(80, 16, 9, 0));
    }

    @Test
    void hadamardRowsAreHalfTheCodeApartAndNegatedRowsAllOfIt() {
        int q = 16;
        HashCentres h = HashCentres.generate(2 * q, q, 1, 0); // all of [H; -H]
        assertEquals("hadamard", h.construction());
        float[][] m = h.asMatrix();
        for (int i = 0; i < 2 * q; i++) {
            for (int j = i + 1; j < 2 * q; j++) {
                int expected = j == i + q ? q : q / 2;
                assertEquals(expected, distance(m[i], m[j]), "rows " + i + ", " + j);
            }
        }
        for (int k = 0; k < q; k++) assertEquals(1f, m[0][k]); // Sylvester H starts with the all-ones row
        assertEquals(q / 2, h.minDistance());
        // and the centres do not depend on the seed, only the tie-breaker does
        HashCentres other = HashCentres.generate(2 * q, q, 2, 0);
        assertTrue(Arrays.deepEquals(m, other.asMatrix()));
        assertFalse(Arrays.equals(h.tieBreaker(), other.tieBreaker()));
    }

    @Test
    void accessorsReturnCopies() {
        HashCentres h = HashCentres.generate(10, 32, 1, 0);
        h.centre(0)[0] = 42;
        h.asMatrix()[1][0] = 42;
        h.tieBreaker()[0] = 42;
        assertNotEquals(42f, h.centre(0)[0]);
        assertNotEquals(42f, h.centre(1)[0]);
        assertNotEquals(42f, h.tieBreaker()[0]);
    }

    // ------------------------------------------------------------------ a sample's centre

    @Test
    void oneLabelGivesExactlyItsClassCentre() {
        HashCentres h = HashCentres.generate(80, 32, 4, 0);
        for (int c = 0; c < 80; c++) {
            float[] y = new float[80];
            y[c] = 1;
            assertArrayEquals(h.centre(c), h.targetCentre(y));
        }
    }

    @Test
    void severalLabelsGiveTheSignOfTheSumWithTiesFromTheTieBreaker() {
        HashCentres h = HashCentres.generate(80, 32, 4, 0);
        float[] tie = h.tieBreaker();
        for (float v : tie) assertTrue(v == 1 || v == -1);

        float[] three = new float[80];
        three[2] = three[5] = three[70] = 1;
        float[] t = h.targetCentre(three);
        for (int k = 0; k < 32; k++) {
            float sum = h.centre(2)[k] + h.centre(5)[k] + h.centre(70)[k];
            assertEquals(Math.signum(sum), t[k]); // odd count: never a tie
        }

        float[] two = new float[80];
        two[3] = two[9] = 1;
        float[] a = h.centre(3), b = h.centre(9), t2 = h.targetCentre(two);
        int ties = 0;
        for (int k = 0; k < 32; k++) {
            if (a[k] == b[k]) {
                assertEquals(a[k], t2[k]);
            } else {
                assertEquals(tie[k], t2[k]);
                ties++;
            }
        }
        assertTrue(ties >= h.minDistance()); // they differ in at least minDistance bits
    }

    @Test
    void badLabelVectorsAreRejected() {
        HashCentres h = HashCentres.generate(10, 16, 1, 0);
        IllegalArgumentException wrongLength =
                assertThrows(IllegalArgumentException.class, () -> h.targetCentre(new float[9]));
        assertTrue(
                wrongLength.getMessage().contains("9 entries")
                        && wrongLength.getMessage().contains("10 classes"),
                wrongLength.getMessage());
        IllegalArgumentException none =
                assertThrows(IllegalArgumentException.class, () -> h.targetCentre(new float[10]));
        assertTrue(none.getMessage().contains("no positive"), none.getMessage());
    }

    // ------------------------------------------------------------------ persistence

    @ParameterizedTest(name = "{0} classes x {1} bits")
    @CsvSource({"10, 64", "100, 48", "3, 8", "100, 1024"})
    void binaryRoundTripIsExact(int classes, int bits) throws IOException {
        HashCentres h = HashCentres.generate(classes, bits, -123456789L, 0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        h.writeTo(new DataOutputStream(bytes));
        HashCentres back = HashCentres.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertSame(h, back);
    }

    @ParameterizedTest(name = "{0} classes x {1} bits")
    @CsvSource({"10, 64", "100, 48", "3, 8", "100, 1024"})
    void jsonRoundTripIsExact(int classes, int bits) {
        HashCentres h = HashCentres.generate(classes, bits, Long.MIN_VALUE, 0);
        String json = h.toJson();
        assertTrue(json.startsWith("{\"classes\":" + classes + ",\"bits\":" + bits + ","), json);
        assertTrue(json.contains("\"construction\":\"" + h.construction() + "\""), json);
        assertSame(h, HashCentres.fromJson(json));
        // whitespace, as a pretty-printer would add, does not matter
        assertSame(h, HashCentres.fromJson(json.replace(",", ",\n  ").replace(":", " : ")));
    }

    @Test
    void jsonCentresAreBitStringsWithOneForPlusOne() {
        HashCentres h = HashCentres.generate(3, 8, 1, 0); // Hadamard rows 0..2 of the 8 x 8 H
        String json = h.toJson();
        assertTrue(json.contains("\"centres\":[\"11111111\",\"10101010\",\"11001100\"]"), json);
        assertTrue(json.contains("\"target\":" + h.targetDistance()), json);
    }

    @Test
    void corruptInputIsRejected() {
        assertThrows(
                IOException.class,
                () -> HashCentres.readFrom(new DataInputStream(new ByteArrayInputStream(new byte[16]))));
        String json = HashCentres.generate(3, 8, 1, 0).toJson();
        IllegalArgumentException shortRow = assertThrows(
                IllegalArgumentException.class,
                () -> HashCentres.fromJson(json.replace("\"10101010\"", "\"1010101\"")));
        assertTrue(shortRow.getMessage().contains("centre 1"), shortRow.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> HashCentres.fromJson(json.replace("\"10101010\"", "\"1010x010\"")));
        assertThrows(
                IllegalArgumentException.class,
                () -> HashCentres.fromJson(json.replace("\"classes\":3", "\"classes\":4")));
        assertThrows(IllegalArgumentException.class, () -> HashCentres.fromJson(json.replace("hadamard", "magic")));
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class, () -> HashCentres.fromJson(json.replace("\"seed\"", "\"sead\"")));
        assertTrue(missing.getMessage().contains("seed"), missing.getMessage());
    }

    private static void assertSame(HashCentres expected, HashCentres actual) {
        assertEquals(expected, actual);
        assertTrue(Arrays.deepEquals(expected.asMatrix(), actual.asMatrix()));
        assertArrayEquals(expected.tieBreaker(), actual.tieBreaker());
        assertEquals(expected.seed(), actual.seed());
        assertEquals(expected.targetDistance(), actual.targetDistance());
        assertEquals(expected.minDistance(), actual.minDistance());
        assertEquals(expected.construction(), actual.construction());
    }

    // ------------------------------------------------------------------ arguments

    @ParameterizedTest(name = "{0} classes x {1} bits")
    @CsvSource({"1, 64, classes", "0, 64, classes", "10, 12, bits", "10, 0, bits", "10, 1032, bits", "10, 4, bits"})
    void badSizesAreRejected(int classes, int bits, String named) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> HashCentres.generate(classes, bits, 1, 0));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    private static int distance(float[] a, float[] b) {
        int d = 0;
        for (int k = 0; k < a.length; k++) if (a[k] != b[k]) d++;
        return d;
    }

    private static int minPairwiseDistance(float[][] m) {
        int best = Integer.MAX_VALUE;
        for (int i = 0; i < m.length; i++)
            for (int j = i + 1; j < m.length; j++) best = Math.min(best, distance(m[i], m[j]));
        return best;
    }
}
