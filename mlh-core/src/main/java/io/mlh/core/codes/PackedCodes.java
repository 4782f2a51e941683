package io.mlh.core.codes;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An immutable batch of n binary codes of {@code bits} bits packed into longs, ceil(bits/64) words a
 * code. Bit order: bit i of a code is bit (i % 64), least significant first, of word i / 64; a set bit
 * means +1, a clear bit -1. Unused high bits of the last word are always zero, so the Hamming
 * distance is a plain XOR + popcount over the words.
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

    public static int wordsFor(int bits) {
        return (bits + 63) >>> 6;
    }

    /** b = sign(x) per entry, sign(0) = +1. */
    public static PackedCodes fromSigns(float[][] real) {
        if (real.length == 0) return new PackedCodes(new long[0], 0, 0);
        int bits = real[0].length, w = wordsFor(bits);
        long[] words = new long[real.length * w];
        for (int i = 0; i < real.length; i++) {
            if (real[i].length != bits) throw new IllegalArgumentException("code " + i + " has " + real[i].length + " values, expected " + bits);
            packRow(real[i], 0, bits, words, i * w, i);
        }
        return new PackedCodes(words, real.length, bits);
    }

    /** Row-major {@code n x bits} values, b = sign(x), sign(0) = +1. */
    public static PackedCodes fromSigns(float[] flat, int n, int bits) {
        if (flat.length != (long) n * bits) throw new IllegalArgumentException(flat.length + " values are not " + n + " codes of " + bits + " bits");
        int w = wordsFor(bits);
        long[] words = new long[n * w];
        for (int i = 0; i < n; i++) packRow(flat, i * bits, bits, words, i * w, i);
        return new PackedCodes(words, n, bits);
    }

    private static void packRow(float[] x, int from, int bits, long[] out, int outFrom, int row) {
        for (int k = 0; k < bits; k++) {
            float v = x[from + k];
            if (Float.isNaN(v)) throw new IllegalArgumentException("code " + row + " bit " + k + " is NaN");
            if (v >= 0) out[outFrom + (k >>> 6)] |= 1L << (k & 63);
        }
    }

    /** Wraps packed words (not copied; the caller hands them over). */
    public static PackedCodes of(long[] words, int n, int bits) {
        int w = wordsFor(bits);
        if (words.length != (long) n * w) throw new IllegalArgumentException(words.length + " words are not " + n + " codes of " + bits + " bits");
        long unused = bits % 64 == 0 ? 0 : -1L << (bits % 64);
        for (int i = 0; i < n && unused != 0; i++) {
            if ((words[i * w + w - 1] & unused) != 0) throw new IllegalArgumentException("code " + i + " has bits set beyond bit " + bits);
        }
        return new PackedCodes(words, n, bits);
    }

    public int size() { return n; }
    public int bits() { return bits; }
    public int wordsPerCode() { return wordsPerCode; }

    /** The backing words, code i at [i * wordsPerCode, (i + 1) * wordsPerCode): read only, never modify. */
    public long[] words() {
        return words;
    }

    public long[] code(int i) {
        return Arrays.copyOfRange(words, i * wordsPerCode, (i + 1) * wordsPerCode);
    }

    /** Code i as ±1 values. */
    public int[] signs(int i) {
        int[] s = new int[bits];
        for (int k = 0; k < bits; k++) s[k] = ((words[i * wordsPerCode + (k >>> 6)] >>> (k & 63)) & 1) != 0 ? 1 : -1;
        return s;
    }

    public PackedCodes slice(int from, int to) {
        return new PackedCodes(Arrays.copyOfRange(words, from * wordsPerCode, to * wordsPerCode), to - from, bits);
    }

    public int hamming(int i, PackedCodes other, int j) {
        if (other.bits != bits) throw new IllegalArgumentException("codes of " + bits + " and " + other.bits + " bits");
        return hamming(words, i * wordsPerCode, other.words, j * wordsPerCode, wordsPerCode);
    }

    public static int hamming(long[] a, int aOff, long[] b, int bOff, int words) {
        int d = 0;
        for (int k = 0; k < words; k++) d += Long.bitCount(a[aOff + k] ^ b[bOff + k]);
        return d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedCodes && ((PackedCodes) o).bits == bits && ((PackedCodes) o).n == n
                && Arrays.equals(((PackedCodes) o).words, words);
    }

    @Override
    public int hashCode() {
        return 31 * bits + Arrays.hashCode(words);
    }
}
