package io.mlh.core.codes;

import java.io.Serializable;
import java.util.Arrays;

/**
 * An immutable batch of n continuous codes stored as one signed byte a dimension: {@code round(127 u)}
 * of the branch's tanh output u (clamped to [-1, 1]), what a code table's {@code continuous_int8} column
 * holds and what re-ranking compares ({@link #cosine}). 8x the size of the sign code; at 64 bits the
 * cosines it gives order a candidate list as the float codes do to within rounding.
 *
 * <p>Layout: code i occupies bytes {@code [i * dims, (i + 1) * dims)}.
 */
public final class Int8Codes implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The byte a continuous value of 1 becomes. */
    public static final int SCALE = 127;

    private final int n, dims;
    private final byte[] values;
    // each row's squared norm, exact in integers
    private final int[] squaredNorms;

    private Int8Codes(byte[] values, int n, int dims) {
        this.n = n;
        this.dims = dims;
        this.values = values;
        this.squaredNorms = new int[n];
        for (int i = 0; i < n; i++) squaredNorms[i] = dot(values, i * dims, values, i * dims, dims);
    }

    /** round(127 u) with u clamped to [-1, 1], halves away from zero (so -u gives exactly the negation). */
    public static byte quantize(float u) {
        if (Float.isNaN(u)) throw new IllegalArgumentException("a continuous code value is NaN");
        int magnitude = Math.round(SCALE * Math.min(1f, Math.abs(u)));
        return (byte) (u < 0 ? -magnitude : magnitude);
    }

    /** {@link #quantize} of each of {@code dims} values from {@code from} in {@code u}. */
    public static byte[] quantize(float[] u, int from, int dims) {
        byte[] b = new byte[dims];
        for (int k = 0; k < dims; k++) b[k] = quantize(u[from + k]);
        return b;
    }

    /** {@code n} codes of {@code dims} values, row-major, quantised. */
    public static Int8Codes fromContinuous(float[] u, int n, int dims) {
        requireShape(u.length, n, dims);
        byte[] b = new byte[n * dims];
        for (int i = 0; i < b.length; i++) b[i] = quantize(u[i]);
        return new Int8Codes(b, n, dims);
    }

    /** {@code n} codes already quantised, row-major (kept, not copied). */
    public static Int8Codes of(byte[] values, int n, int dims) {
        requireShape(values.length, n, dims);
        return new Int8Codes(values, n, dims);
    }

    private static void requireShape(int length, int n, int dims) {
        if (n < 0 || dims < 0 || (long) n * dims != length)
            throw new IllegalArgumentException(length + " values are not " + n + " codes of " + dims);
    }

    public int size() {
        return n;
    }

    public int dims() {
        return dims;
    }

    /** The backing array, not a copy: code i at {@code [i * dims, (i + 1) * dims)}. Read only: never modify it. */
    public byte[] values() {
        return values;
    }

    /** Codes [from, to), copied. */
    public Int8Codes slice(int from, int to) {
        if (from < 0 || to > n || from > to)
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + n + " codes");
        return new Int8Codes(Arrays.copyOfRange(values, from * dims, to * dims), to - from, dims);
    }

    /** Code i's bytes, copied. */
    public byte[] code(int i) {
        byte[] b = new byte[dims];
        System.arraycopy(values, i * dims, b, 0, dims);
        return b;
    }

    /** The cosine of code i here and code j of {@code other}; 0 when either is all zeros. */
    public double cosine(int i, Int8Codes other, int j) {
        if (other.dims != dims)
            throw new IllegalArgumentException("codes of " + dims + " and " + other.dims + " dimensions");
        return cosine(dot(values, i * dims, other.values, j * dims, dims), squaredNorms[i], other.squaredNorms[j]);
    }

    /** The cosine of code i here and a lone code of {@code dims} bytes whose squared norm is {@code squaredNorm}. */
    public double cosine(int i, byte[] code, int squaredNorm) {
        if (code.length != dims)
            throw new IllegalArgumentException("codes of " + dims + " and " + code.length + " dimensions");
        return cosine(dot(values, i * dims, code, 0, dims), squaredNorms[i], squaredNorm);
    }

    /**
     * The cosine of two int8 codes from their dot product and squared norms: the one formula every
     * re-ranking uses, so that all of them order ties alike.
     */
    public static double cosine(int dot, int squaredNormA, int squaredNormB) {
        if (squaredNormA == 0 || squaredNormB == 0) return 0;
        return dot / Math.sqrt((double) squaredNormA * squaredNormB);
    }

    /** The cosine of two codes of {@code dims} bytes at {@code a[ai..]} and {@code b[bi..]}. */
    public static double cosine(byte[] a, int ai, byte[] b, int bi, int dims) {
        return cosine(dot(a, ai, b, bi, dims), dot(a, ai, a, ai, dims), dot(b, bi, b, bi, dims));
    }

    /** The dot product of two codes of {@code dims} bytes: exact (at most 127^2 a dimension). */
    public static int dot(byte[] a, int ai, byte[] b, int bi, int dims) {
        int s = 0;
        for (int k = 0; k < dims; k++) s += a[ai + k] * b[bi + k];
        return s;
    }
}
