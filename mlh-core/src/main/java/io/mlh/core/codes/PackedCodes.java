package io.mlh.core.codes;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An immutable batch of n binary codes of {@code bits} bits, packed into {@code long} words.
 *
 * <p>Layout: code i occupies words {@code [i * wordsPerCode, (i + 1) * wordsPerCode)}, with
 * {@code wordsPerCode = ceil(bits / 64)}. Bit order: bit k of a code lives in word {@code k / 64} of
 * that code at bit position {@code k % 64}, least significant first. A set bit means +1 and a clear bit
 * means -1. The unused high bits of the last word are always zero. Because of that, the Hamming distance
 * is a plain XOR + popcount over whole words, with no masking.
 *
 * <p>Example: the 64-bit code {@code [+1, -1, -1, ..., -1]} is the single word {@code 1L}.
 */
public final class PackedCodes implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int n, bits, wordsPerCode;
    private final long[] words;

    private PackedCodes(long[] words, int n, int bits) {
        this.n = n;
        this.bits = bits;
        this.wordsPerCode = wordsFor(bits);
        this.words = words;
    }

    /** Words needed to hold one code of {@code bits} bits: ceil(bits / 64). */
    public static int wordsFor(int bits) {
        if (bits < 0) throw new IllegalArgumentException("bits must be >= 0, got " + bits);
        return (bits + 63) >>> 6;
    }

    /**
     * Packs b = sign(x) for each row, with sign(0) = +1 (x >= 0, including -0.0, gives a set bit). All
     * rows must have the same length, which becomes {@code bits}. An empty array gives 0 codes of 0 bits.
     *
     * @throws IllegalArgumentException if the rows differ in length or a value is NaN; the message
     *     names the row and column
     */
    public static PackedCodes fromSigns(float[][] real) {
        if (real.length == 0) return new PackedCodes(new long[0], 0, 0);
        int bits = real[0].length, w = wordsFor(bits);
        long[] words = new long[checkedWords(real.length, w)];
        for (int i = 0; i < real.length; i++) {
            if (real[i].length != bits) {
                throw new IllegalArgumentException(
                        "row " + i + " has " + real[i].length + " values, row 0 has " + bits);
            }
            packRow(real[i], 0, bits, words, i * w, i);
        }
        return new PackedCodes(words, real.length, bits);
    }

    /** As {@link #fromSigns(float[][])} for {@code n} rows of {@code bits} values, stored row-major. */
    public static PackedCodes fromSigns(float[] flat, int n, int bits) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int w = wordsFor(bits);
        if (flat.length != (long) n * bits) {
            throw new IllegalArgumentException(flat.length + " values are not " + n + " rows of " + bits + " bits");
        }
        long[] words = new long[checkedWords(n, w)];
        for (int i = 0; i < n; i++) packRow(flat, i * bits, bits, words, i * w, i);
        return new PackedCodes(words, n, bits);
    }

    private static void packRow(float[] x, int from, int bits, long[] out, int outFrom, int row) {
        for (int k = 0; k < bits; k++) {
            float v = x[from + k];
            // NaN would silently become -1 (NaN >= 0 is false); it means the network diverged, so say where
            if (Float.isNaN(v)) throw new IllegalArgumentException("NaN at row " + row + ", column " + k);
            if (v >= 0) out[outFrom + (k >>> 6)] |= 1L << (k & 63);
        }
    }

    /**
     * Wraps already packed words without copying them. The caller hands the array over and must not
     * change it afterwards.
     *
     * @throws IllegalArgumentException if {@code words.length != n * wordsPerCode} or a code has a bit set
     *     beyond {@code bits}
     */
    public static PackedCodes of(long[] words, int n, int bits) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int w = wordsFor(bits);
        if (words.length != (long) n * w) {
            throw new IllegalArgumentException(
                    words.length + " words are not " + n + " codes of " + bits + " bits (" + w + " words each)");
        }
        // a stray high bit would add to every Hamming distance, so refuse it here once
        long unused = bits % 64 == 0 ? 0 : -1L << (bits % 64);
        for (int i = 0; i < n && unused != 0; i++) {
            if ((words[i * w + w - 1] & unused) != 0) {
                throw new IllegalArgumentException("code " + i + " has bits set at or beyond bit " + bits);
            }
        }
        return new PackedCodes(words, n, bits);
    }

    private static int checkedWords(int n, int w) {
        long total = (long) n * w;
        if (total > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException(n + " codes of " + w + " words do not fit one array");
        return (int) total;
    }

    /** Number of codes. */
    public int size() {
        return n;
    }

    public int bits() {
        return bits;
    }

    public int wordsPerCode() {
        return wordsPerCode;
    }

    /**
     * The backing array, not a copy, so that metrics can scan all codes without copying them. Code i is
     * at {@code [i * wordsPerCode, (i + 1) * wordsPerCode)}. Read only: never modify it.
     */
    public long[] words() {
        return words;
    }

    /** A copy of code i's words. */
    public long[] code(int i) {
        checkIndex(i);
        return Arrays.copyOfRange(words, i * wordsPerCode, (i + 1) * wordsPerCode);
    }

    /** Code i as one value a bit: +1 for a set bit, -1 for a clear bit. */
    public int[] signs(int i) {
        checkIndex(i);
        int base = i * wordsPerCode;
        int[] s = new int[bits];
        for (int k = 0; k < bits; k++) s[k] = ((words[base + (k >>> 6)] >>> (k & 63)) & 1) != 0 ? 1 : -1;
        return s;
    }

    /** Codes {@code [from, to)} as a new batch (the words are copied). */
    public PackedCodes slice(int from, int to) {
        if (from < 0 || to > n || from > to)
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + n + " codes");
        return new PackedCodes(Arrays.copyOfRange(words, from * wordsPerCode, to * wordsPerCode), to - from, bits);
    }

    /** Hamming distance between code i of this batch and code j of {@code other}. */
    public int hamming(int i, PackedCodes other, int j) {
        if (other.bits != bits) throw new IllegalArgumentException("codes of " + bits + " and " + other.bits + " bits");
        checkIndex(i);
        other.checkIndex(j);
        return hamming(words, i * wordsPerCode, other.words, j * wordsPerCode, wordsPerCode);
    }

    /**
     * Hamming distance between the {@code words}-word codes at {@code a[aOff..]} and {@code b[bOff..]}.
     * The result is exact only if unused high bits are zero in both, as this class guarantees.
     */
    public static int hamming(long[] a, int aOff, long[] b, int bOff, int words) {
        int d = 0;
        for (int k = 0; k < words; k++) d += Long.bitCount(a[aOff + k] ^ b[bOff + k]);
        return d;
    }

    private void checkIndex(int i) {
        // copyOfRange would silently pad a read past the end with zeros, so check the index up front
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("code " + i + " of " + n);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof PackedCodes)) return false;
        PackedCodes p = (PackedCodes) o;
        return p.n == n && p.bits == bits && Arrays.equals(p.words, words);
    }

    @Override
    public int hashCode() {
        return (31 * n + bits) * 31 + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "PackedCodes[" + n + " x " + bits + " bits]";
    }
}
