package io.mlh.core.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The deep-hashing split protocol (as cifar10-1): per class, {@code queriesPerClass} images are
 * queries and the rest form the database; {@code trainPerClass} training images are drawn from the
 * database. Deterministic given the seed; classes are read from single-label rows (the first
 * positive entry for multi-hot ones). Indices are sorted ascending inside each part.
 */
public final class RetrievalSplit {
    public final int[] query, database, train;

    private RetrievalSplit(int[] query, int[] database, int[] train) {
        this.query = query;
        this.database = database;
        this.train = train;
    }

    public static RetrievalSplit of(float[][] labels, int queriesPerClass, int trainPerClass, long seed) {
        int classes = labels.length == 0 ? 0 : labels[0].length;
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++)
            byClass.get(firstPositive(labels[i], i)).add(i);
        Random r = new Random(seed);
        boolean[] isQuery = new boolean[labels.length], isTrain = new boolean[labels.length];
        for (int c = 0; c < classes; c++) {
            List<Integer> members = byClass.get(c);
            if (members.size() < queriesPerClass + trainPerClass) {
                throw new IllegalArgumentException("class " + c + " has " + members.size() + " images, fewer than "
                        + queriesPerClass + " queries + " + trainPerClass + " training images");
            }
            java.util.Collections.shuffle(members, r);
            for (int k = 0; k < queriesPerClass; k++) isQuery[members.get(k)] = true;
            for (int k = 0; k < trainPerClass; k++) isTrain[members.get(queriesPerClass + k)] = true;
        }
        return new RetrievalSplit(indices(isQuery, true), indices(isQuery, false), indices(isTrain, true));
    }

    private static int firstPositive(float[] y, int row) {
        for (int c = 0; c < y.length; c++) if (y[c] > 0) return c;
        throw new IllegalArgumentException("record " + row + " has no positive label");
    }

    private static int[] indices(boolean[] mask, boolean value) {
        int n = 0;
        for (boolean b : mask) if (b == value) n++;
        int[] out = new int[n];
        for (int i = 0, k = 0; i < mask.length; i++) if (mask[i] == value) out[k++] = i;
        return out;
    }
}
