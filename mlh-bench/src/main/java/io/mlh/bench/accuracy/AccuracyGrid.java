package io.mlh.bench.accuracy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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
        /**
         * cifar10-2: the 10,000 test images are the queries, the 50,000 training images database and training
         * set; mAP@all. Ten times the training images of cifar10-1 an epoch, so 10 epochs (6.7 times its steps),
         * and only MLH and the methods it is measured against at 64 bits: a cell is about 30 min here.
         */
        CIFAR10_2("cifar10-2", "conf/cifar10-2.conf", 10, 0, Variant.MLH, Variant.CSQ, Variant.MDS),
        /** The derived multi-label set ({@link MosaicSet}): 1,000 / 25,000 / 5,000; mAP@5000. */
        MOSAIC("mosaic", null, 10, 5000);
        public final String id, profile;
        public final int epochs, topK;
        /** The grid's variants on this set; empty: every method and ablation. */
        private final List<Variant> variants;

        DataSet(String id, String profile, int epochs, int topK, Variant... variants) {
            this.id = id;
            this.profile = profile;
            this.epochs = epochs;
            this.topK = topK;
            this.variants = Arrays.asList(variants);
        }

        /**
         * Seeds every cell of this set gets at {@code bits} (0: none): 3 everywhere on Fashion-MNIST and at
         * 64 bits on CIFAR-10, 2 on cifar10-2 at 64 bits alone, 1 elsewhere.
         */
        public int seeds(int bits) {
            switch (this) {
                case FASHION:
                    return 3;
                case CIFAR10:
                    return bits == 64 ? 3 : 1;
                case CIFAR10_2:
                    return bits == 64 ? 2 : 0;
                default:
                    return 1;
            }
        }

        /** Whether the grid runs {@code v} (a method or an ablation) on this set; probes run wherever named. */
        public boolean grids(Variant v) {
            return variants.isEmpty() || variants.contains(v);
        }

        public static DataSet of(String id) {
            for (DataSet d : values()) if (d.id.equals(id)) return d;
            throw new IllegalArgumentException("unknown data set " + id + " ("
                    + Arrays.stream(values()).map(d -> d.id).collect(Collectors.joining(", ")) + ")");
        }
    }

    /** What a variant is for: the method comparison, the ablations, or probes run on request. */
    public enum Kind {
        METHOD,
        ABLATION,
        PROBE
    }

    /** Methods, MLH ablations and probes: a name and the config overrides that make it. */
    public enum Variant {
        MLH("mlh", Kind.METHOD),
        CSQ("csq", Kind.METHOD, "method=csq"),
        MDS("mds", Kind.METHOD, "method=mds"),
        DPSH("dpsh", Kind.METHOD, "method=dpsh"),
        /** Both branches and L_M without experts: this is also MLH's {@code moh.mode = none} ablation. */
        DUAL("dual", Kind.METHOD, "method=dual"),
        MOH_SEPARATE("mlh:moh=separate", Kind.ABLATION, "moh.mode=separate"),
        ALTERNATE("mlh:mutual=alternate", Kind.ABLATION, "mutual.mode=alternate"),
        EXPERTS_2("mlh:K=2", Kind.ABLATION, "moh.experts=2"),
        EXPERTS_8("mlh:K=8", Kind.ABLATION, "moh.experts=8"),
        // Probes: run only when named (ACCURACY_CELLS). Each spells out every key in which it differs from
        // the current defaults, so its rows stay true when a default changes.
        /** MLH before the defaults changed: the softmax-over-cosines L_C and an unscaled lambda2 = 1. */
        MLH_SOFTMAX("mlh:centre=mlh", Kind.PROBE, "centre.loss=mlh", "loss.pairwise-reference-bits=0"),
        DUAL_SOFTMAX("dual:centre=mlh", Kind.PROBE, "method=dual", "centre.loss=mlh", "loss.pairwise-reference-bits=0"),
        MLH_SOFTMAX_SEPARATE(
                "mlh:centre=mlh+moh=separate",
                Kind.PROBE,
                "centre.loss=mlh",
                "loss.pairwise-reference-bits=0",
                "moh.mode=separate"),
        MLH_SOFTMAX_NO_MUTUAL(
                "mlh:centre=mlh+mutual-weight=0",
                Kind.PROBE,
                "centre.loss=mlh",
                "loss.pairwise-reference-bits=0",
                "loss.mutual-weight=0"),
        MLH_SOFTMAX_SCALED(
                "mlh:centre=mlh+pairwise-16/q", Kind.PROBE, "centre.loss=mlh", "loss.pairwise-reference-bits=16"),
        MLH_SOFTMAX_COSINE(
                "mlh:centre=mlh+lr=cosine",
                Kind.PROBE,
                "centre.loss=mlh",
                "loss.pairwise-reference-bits=0",
                "train.lr-schedule=cosine"),
        /**
         * The softmax L_C with its logit scale fixed at 4 (its value at 16 bits) instead of sqrt(q): mds falls
         * from 0.41 to 0.29 on CIFAR-10 as q goes from 16 to 64 and s from 4 to 8; is the scale the cause?
         */
        MDS_SCALE_4("mds:scale=4", Kind.PROBE, "method=mds", "centre.scale=4"),
        MLH_SOFTMAX_SCALE_4("mlh:centre=mlh+scale=4", Kind.PROBE, "centre.loss=mlh", "centre.scale=4"),
        /**
         * lambda2 = 1 at every code length: L_P's gradient on a code grows with q (theta = 0.5 u_i . u_j sums q
         * products) while CSQ's averages over bits, so at 64 bits L_P outweighs the centre branch.
         */
        MLH_UNSCALED("mlh:pairwise-unscaled", Kind.PROBE, "loss.pairwise-reference-bits=0"),
        MLH_QUARTER_UNSCALED(
                "mlh:pairwise-weight=0.25-unscaled",
                Kind.PROBE,
                "loss.pairwise-weight=0.25",
                "loss.pairwise-reference-bits=0"),
        /**
         * Where the centre branch loses to csq: with no L_P and no L_M MLH is csq's loss through the experts
         * and a gate (the pairwise branch idle); with l1 = 16 the same terms as MLH, the centre loss four
         * times heavier against them (Adam's steps do not scale with the loss, only the mix does).
         */
        MLH_CENTRE_ONLY(
                "mlh:pairwise-weight=0+mutual-weight=0", Kind.PROBE, "loss.pairwise-weight=0", "loss.mutual-weight=0"),
        MLH_CENTRE_16("mlh:centre-weight=16", Kind.PROBE, "loss.centre-weight=16"),
        /** What L_M adds: none, a quarter. */
        NO_MUTUAL("mlh:mutual-weight=0", Kind.PROBE, "loss.mutual-weight=0"),
        QUARTER_MUTUAL("mlh:mutual-weight=0.25", Kind.PROBE, "loss.mutual-weight=0.25"),
        /**
         * A cosine learning-rate decay to zero at the last epoch instead of the constant rate: at a constant
         * 1e-3 the validation mAP still swings by about 0.01 from epoch to epoch at the end; does the decay
         * steady the comparison, and does it change it?
         */
        CSQ_COSINE("csq:lr=cosine", Kind.PROBE, "method=csq", "train.lr-schedule=cosine"),
        MLH_COSINE("mlh:lr=cosine", Kind.PROBE, "train.lr-schedule=cosine"),
        /**
         * The backbone with batch norm: untrained plain vgg-small gives all images nearly one code direction,
         * which the cosine-scored L_C is slow to leave. On mklblas: the MKL-DNN engine cannot train batch
         * norms here (see MlhConfig); the two engines compute the same.
         */
        BN_MLH_SOFTMAX(
                "mlh:centre=mlh+vgg-small-bn",
                Kind.PROBE,
                "centre.loss=mlh",
                "loss.pairwise-reference-bits=0",
                "model.backbone=vgg-small-bn",
                "train.engine=mklblas"),
        BN_CSQ("csq:vgg-small-bn", Kind.PROBE, "method=csq", "model.backbone=vgg-small-bn", "train.engine=mklblas"),
        BN_MDS("mds:vgg-small-bn", Kind.PROBE, "method=mds", "model.backbone=vgg-small-bn", "train.engine=mklblas"),
        /**
         * The MoH's sparsity and diversity, where MLH does not beat the best single branch: sparse gates
         * (each image's 2 largest of K = 4 weights), with the usual balance term against the gates'
         * collapsing onto a few experts (0.01, as Shazeer et al.'s importance loss), and the experts'
         * mean squared cosine, alone.
         */
        TOP_2("mlh:top-k=2", Kind.PROBE, "moh.top-k=2"),
        TOP_2_BALANCE("mlh:top-k=2+balance=0.01", Kind.PROBE, "moh.top-k=2", "moh.balance-weight=0.01"),
        BALANCE("mlh:balance=0.01", Kind.PROBE, "moh.balance-weight=0.01"),
        DIVERSITY("mlh:diversity=0.1", Kind.PROBE, "moh.diversity-weight=0.1");

        public final String id;
        public final Kind kind;
        public final List<String> overrides;

        Variant(String id, Kind kind, String... overrides) {
            this.id = id;
            this.kind = kind;
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

    /** The grid's cells of the given sets (methods and ablations; no probes), in priority order. */
    public static List<Cell> cells(List<DataSet> sets) {
        List<Cell> out = new ArrayList<>();
        for (Kind kind : new Kind[] {Kind.METHOD, Kind.ABLATION}) { // methods, then ablations; seed 1 first
            for (DataSet d : sets) add(out, d, kind, 1, 1);
        }
        for (Kind kind : new Kind[] {Kind.METHOD, Kind.ABLATION}) {
            for (DataSet d : sets) add(out, d, kind, 2, 3);
        }
        return out;
    }

    /**
     * The cells whose key ({@link Cell#key()}: {@code dataset,variant,bits,seed}) matches {@code pattern}
     * in full: the grid's in its order, then the probes' (which run only when asked for by name).
     */
    public static List<Cell> cells(List<DataSet> sets, String pattern) {
        Pattern p = Pattern.compile(pattern);
        List<Cell> all = cells(sets);
        for (DataSet d : sets) add(all, d, Kind.PROBE, 1, 3);
        return all.stream().filter(c -> p.matcher(c.key()).matches()).collect(Collectors.toList());
    }

    private static void add(List<Cell> out, DataSet d, Kind kind, int fromSeed, int toSeed) {
        for (int seed = fromSeed; seed <= toSeed; seed++) {
            for (Variant v : Variant.values()) {
                if (v.kind != kind || (kind != Kind.PROBE && !d.grids(v))) continue;
                for (int bits : BITS) if (seed <= d.seeds(bits)) out.add(new Cell(d, v, bits, seed));
            }
        }
    }
}
