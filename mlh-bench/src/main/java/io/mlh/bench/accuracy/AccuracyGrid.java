package io.mlh.bench.accuracy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * What the accuracy benchmark trains: every cell is (data set, variant, bits, seed), and every variant
 * is a set of config overrides of the one training loop (the train job), as in a DeepHash-style
 * method registry. Cells come in the order they are worth having: the method comparison on one seed
 * first (data set by data set), then the ablations, then the extra seeds; so a run cut short by its
 * time budget leaves the most useful table behind.
 */
public final class AccuracyGrid {
    private AccuracyGrid() {}

    public static final int[] BITS = {16, 32, 64};

    /** The data sets and their protocols (the profile in conf/ plus what the benchmark pins). */
    public enum DataSet {
        /** 1,000 queries (100 a class), the other 69,000 the database, 5,000 training images from it; mAP@all. */
        FASHION("fashion-mnist", "conf/fashion-mnist.conf", 10, 0),
        /** cifar10-1: train and test folders pooled, 1,000 queries, 59,000 database, 5,000 training; mAP@all. */
        CIFAR10("cifar10", "conf/cifar10.conf", 15, 0),
        /** The derived multi-label set ({@link MosaicSet}): 1,000 / 25,000 / 5,000; mAP@5000. */
        MOSAIC("mosaic", null, 10, 5000);

        public final String id, profile;
        public final int epochs, topK;

        DataSet(String id, String profile, int epochs, int topK) {
            this.id = id;
            this.profile = profile;
            this.epochs = epochs;
            this.topK = topK;
        }

        /** Seeds every cell of this set gets at {@code bits}: 3 everywhere on Fashion-MNIST and at 64 bits on CIFAR-10. */
        public int seeds(int bits) {
            if (this == FASHION) return 3;
            if (this == CIFAR10) return bits == 64 ? 3 : 1;
            return 1;
        }

        public static DataSet of(String id) {
            for (DataSet d : values()) if (d.id.equals(id)) return d;
            throw new IllegalArgumentException("unknown data set " + id + " (fashion-mnist, cifar10, mosaic)");
        }
    }

    /** Methods and MLH ablations: a name and the config overrides that make it. */
    public enum Variant {
        MLH("mlh", false),
        CSQ("csq", false, "method=csq"),
        MDS("mds", false, "method=mds"),
        DPSH("dpsh", false, "method=dpsh"),
        DUAL("dual", false, "method=dual"),
        MOH_SEPARATE("mlh:moh=separate", true, "moh.mode=separate"),
        MOH_NONE("mlh:moh=none", true, "moh.mode=none"),
        ALTERNATE("mlh:mutual=alternate", true, "mutual.mode=alternate"),
        EXPERTS_2("mlh:K=2", true, "moh.experts=2"),
        EXPERTS_8("mlh:K=8", true, "moh.experts=8");

        public final String id;
        public final boolean ablation;
        public final List<String> overrides;

        Variant(String id, boolean ablation, String... overrides) {
            this.id = id;
            this.ablation = ablation;
            this.overrides = Collections.unmodifiableList(Arrays.asList(overrides));
        }

        /** The single-branch baselines MLH must match or beat. */
        public boolean singleBranch() {
            return this == CSQ || this == MDS || this == DPSH;
        }

        public static Variant of(String id) {
            for (Variant v : values()) if (v.id.equals(id)) return v;
            throw new IllegalArgumentException("unknown variant " + id);
        }
    }

    /** One training run to do. */
    public static final class Cell {
        public final DataSet data;
        public final Variant variant;
        public final int bits, seed;

        public Cell(DataSet data, Variant variant, int bits, int seed) {
            this.data = data;
            this.variant = variant;
            this.bits = bits;
            this.seed = seed;
        }

        /** The key a results row is matched on. */
        public String key() {
            return data.id + "," + variant.id + "," + bits + "," + seed;
        }

        /** A file-name-safe id. */
        public String dirName() {
            return (data.id + "-" + variant.id + "-" + bits + "-s" + seed).replaceAll("[^A-Za-z0-9.=-]", "_");
        }

        @Override
        public String toString() {
            return data.id + " " + variant.id + " " + bits + " bits, seed " + seed;
        }
    }

    /** All cells of the given sets, in priority order. */
    public static List<Cell> cells(List<DataSet> sets) {
        List<Cell> out = new ArrayList<>();
        for (boolean ablations : new boolean[] {false, true}) { // methods, then ablations; seed 1 first
            for (DataSet d : sets) add(out, d, ablations, 1, 1);
        }
        for (boolean ablations : new boolean[] {false, true}) {
            for (DataSet d : sets) add(out, d, ablations, 2, 3);
        }
        return out;
    }

    private static void add(List<Cell> out, DataSet d, boolean ablations, int fromSeed, int toSeed) {
        for (int seed = fromSeed; seed <= toSeed; seed++) {
            for (Variant v : Variant.values()) {
                if (v.ablation != ablations) continue;
                for (int bits : BITS) if (seed <= d.seeds(bits)) out.add(new Cell(d, v, bits, seed));
            }
        }
    }
}
