package io.mlh.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.bigdl.Int8Inference;
import io.mlh.core.bigdl.Int8Scales;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.codes.HashEncoder;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.codes.SignRandomProjection;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.EncodeBranch;
import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.LabelledImages;
import io.mlh.core.data.RetrievalSplit;
import io.mlh.core.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalTrainer} on real Fashion-MNIST images: MLH trained on 3,000 must clearly beat sign random
 * projection on the same split (1,000 queries, 100 a class, against the other 9,000 test images, mAP@all),
 * and its epoch reports give the loss terms the model trains.
 */
class MlhTrainingTest {

    @Test
    void learnedCodesBeatRandomProjection() throws Exception {
        BigDL.initLocal(Runtime.getRuntime().availableProcessors());
        LabelledImages all = FashionMnist.testSet();
        RetrievalSplit split = RetrievalSplit.of(all.labels, 100, 300, 7);
        LabelledImages query = all.select(split.query),
                database = all.select(split.database),
                train = all.select(split.train);

        MlhConfig config = MlhConfig.defaults()
                .with("mlh.model.input-channels", 1)
                .with("mlh.model.input-size", 28)
                .with("mlh.bits", 64)
                .with("mlh.train.epochs", 4);
        HashCentres centres =
                HashCentres.generate(config.classes(), config.bits(), config.seed(), config.centreMinDistance());
        List<LocalTrainer.EpochReport> epochs = new ArrayList<>();
        Graph<Float> net = new LocalTrainer(config, centres).train(train, epochs::add);

        PackedCodes q = HashEncoder.encode(net, query, 256).binary(config.effectiveEncodeBranch());
        PackedCodes db = HashEncoder.encode(net, database, 256).binary(config.effectiveEncodeBranch());
        double mlh = new RetrievalMetrics(q, query.labels, db, database.labels).meanAveragePrecision(0);

        SignRandomProjection srp = new SignRandomProjection(database, 64, 7);
        double baseline = new RetrievalMetrics(srp.encode(query), query.labels, srp.encode(database), database.labels)
                .meanAveragePrecision(0);

        System.out.printf(
                "Fashion-MNIST 64 bits, mAP@all: MLH %.4f, sign random projection %.4f; %s%n", mlh, baseline, epochs);
        assertTrue(
                epochs.get(epochs.size() - 1).terms.total < epochs.get(0).terms.total,
                "training loss did not fall: " + epochs);
        assertTrue(baseline > 0.2 && baseline < 0.6, "random projection mAP " + baseline + " is off its usual 0.4");
        assertTrue(mlh > baseline + 0.2, "MLH mAP " + mlh + " does not clearly beat random projection " + baseline);

        int8CodesAreTheFp32Codes(net, config, train, query, database);
    }

    /**
     * The trained network in int8 on MKL-DNN, calibrated on 256 training images, against the same network
     * in fp32 on MKL-DNN: at least 99% of the code bits equal and mAP@all within 0.005, int8 queries
     * against an fp32 database too. Where int8 cannot run (no AVX512-VNNI), the refusal and its reason.
     */
    private static void int8CodesAreTheFp32Codes(
            Graph<Float> net, MlhConfig config, LabelledImages train, LabelledImages query, LabelledImages database) {
        MlhConfig.Engine before = ComputeEngine.switchForTest(MlhConfig.Engine.MKLDNN);
        try {
            List<Tensor<Float>> batches = new ArrayList<>();
            for (int from = 0; from < 256; from += 128) {
                float[] px =
                        Arrays.copyOfRange(train.pixels, from * train.imageSize(), (from + 128) * train.imageSize());
                batches.add(BigDL.tensor(px, 128, train.channels, train.height, train.width));
            }
            Int8Scales scales = Int8Scales.calibrate(net, batches.iterator());
            Graph<Float> scaled = (Graph<Float>) (Object) net.cloneModule();
            scales.applyTo(scaled);
            String why = Int8Inference.unavailable();
            if (why != null) {
                IllegalStateException refused = assertThrows(
                        IllegalStateException.class, () -> Int8Inference.build(ComputeEngine.forMklDnn(scaled)));
                assertEquals(why, refused.getMessage());
                assertTrue(why.contains("AVX512-VNNI"), why);
                return;
            }
            AbstractModule<Activity, Activity, Float> fp32 = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
            AbstractModule<Activity, Activity, Float> int8 = Int8Inference.build(ComputeEngine.forMklDnn(scaled));
            EncodeBranch branch = config.effectiveEncodeBranch();
            PackedCodes q32 = HashEncoder.encode(fp32, query, 200).binary(branch),
                    db32 = HashEncoder.encode(fp32, database, 200).binary(branch);
            PackedCodes q8 = HashEncoder.encode(int8, query, 200).binary(branch),
                    db8 = HashEncoder.encode(int8, database, 200).binary(branch);
            assertEquals(4, Int8Inference.requireQuantized(int8), "vgg-small's 4 convolutions run int8");
            long differ = 0;
            for (int i = 0; i < db8.size(); i++) differ += db8.hamming(i, db32, i);
            double bitsEqual = 1 - differ / (double) (db8.size() * config.bits());
            double map32 = new RetrievalMetrics(q32, query.labels, db32, database.labels).meanAveragePrecision(0);
            double map8 = new RetrievalMetrics(q8, query.labels, db8, database.labels).meanAveragePrecision(0);
            double mixed = new RetrievalMetrics(q8, query.labels, db32, database.labels).meanAveragePrecision(0);
            System.out.printf(
                    "int8 on MKL-DNN: %.4f of database code bits equal to fp32; mAP@all fp32 %.4f, int8 %.4f,"
                            + " int8 queries against fp32 codes %.4f%n",
                    bitsEqual, map32, map8, mixed);
            assertTrue(bitsEqual >= 0.99, "int8 codes share " + bitsEqual + " of their bits with fp32");
            assertEquals(map32, map8, 0.005, "int8 mAP");
            assertEquals(map32, mixed, 0.005, "mAP of int8 queries against fp32 codes");
        } finally {
            ComputeEngine.switchForTest(before);
        }
    }

    /**
     * With sparse gates, the balance term and the diversity term weighted, each epoch's report gives the terms'
     * means (B_c, B_p, D) in their ranges beside L_C, L_P and L_M; unweighted, it gives none.
     */
    @Test
    void epochReportsGiveTheMohTermsWhereTheyAreWeighted() throws Exception {
        BigDL.initLocal(Runtime.getRuntime().availableProcessors());
        LabelledImages all = FashionMnist.testSet();
        int[] first = new int[512];
        for (int i = 0; i < first.length; i++) first[i] = i;
        LabelledImages train = all.select(first);
        MlhConfig plain = MlhConfig.defaults()
                .with("mlh.model.input-channels", 1)
                .with("mlh.model.input-size", 28)
                .with("mlh.bits", 16)
                .with("mlh.train.epochs", 2);
        MlhConfig weighted = plain.with("mlh.moh.top-k", 2)
                .with("mlh.moh.balance-weight", 0.01)
                .with("mlh.moh.diversity-weight", 0.1);
        HashCentres centres = HashCentres.generate(plain.classes(), 16, plain.seed(), plain.centreMinDistance());

        List<LocalTrainer.EpochReport> epochs = new ArrayList<>();
        new LocalTrainer(weighted, centres).train(train, epochs::add);
        assertEquals(2, epochs.size());
        for (LocalTrainer.EpochReport r : epochs) {
            assertEquals(Arrays.asList("B_c", "B_p", "D"), new ArrayList<>(r.terms.moh.keySet()), r.toString());
            int k = weighted.experts();
            for (String gate : new String[] {"B_c", "B_p"}) { // squared CV of K loads: 0 (even) to K - 1 (one expert)
                double b = r.terms.moh.get(gate);
                assertTrue(b >= 0 && b <= k - 1 + 1e-6, gate + " = " + b + " is outside [0, " + (k - 1) + "]: " + r);
            }
            double d = r.terms.moh.get("D"); // a mean squared cosine
            assertTrue(d > 0 && d <= 1 + 1e-6, "D = " + d + " is outside (0, 1]: " + r);
            assertTrue(r.toString().contains(" B_c=") && r.toString().contains(" D="), r.toString());
        }

        epochs.clear();
        new LocalTrainer(plain.with("mlh.train.epochs", 1), centres).train(train, epochs::add);
        assertEquals(1, epochs.size());
        assertTrue(epochs.get(0).terms.moh.isEmpty(), epochs.get(0).toString());
        assertFalse(Double.isNaN(epochs.get(0).terms.centre), epochs.get(0).toString());
    }
}
