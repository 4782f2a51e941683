package io.mlh.core.loss;

/** Validation of multi-hot label batches: bad labels fail naming the row, never train silently. */
public final class Labels {
    private Labels() {}

    /** Returns {@code y} after checking it is n rows of {@code classes} 0/1 values, each with a positive. */
    public static float[][] check(float[][] y, int classes, int n) {
        if (y.length != n) throw new IllegalArgumentException("labels: " + y.length + " rows for " + n + " samples");
        for (int j = 0; j < y.length; j++) {
            if (y[j].length != classes) {
                throw new IllegalArgumentException(
                        "labels: row " + j + " has " + y[j].length + " entries, expected " + classes);
            }
            boolean any = false;
            for (int i = 0; i < classes; i++) {
                float v = y[j][i];
                if (v != 0 && v != 1)
                    throw new IllegalArgumentException(
                            "labels: row " + j + " entry " + i + " is " + v + ", expected 0 or 1");
                any |= v == 1;
            }
            if (!any) throw new IllegalArgumentException("labels: row " + j + " has no positive class");
        }
        return y;
    }
}
