package io.mlh.core.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.intel.analytics.bigdl.nn.Graph;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.codes.HashEncoder;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.codes.SignRandomProjection;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.LabelledImages;
import io.mlh.core.data.RetrievalSplit;
import io.mlh.core.eval.RetrievalMetrics;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MLH trained in this JVM by BigDL on 3,000 real Fashion-MNIST images must clearly beat sign random
 * projection on the same split: 1,000 queries (100 a class) against the other 9,000 test images, mAP@all.
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
        assertTrue(epochs.get(epochs.size() - 1).total < epochs.get(0).total, "training loss did not fall: " + epochs);
        assertTrue(baseline > 0.2 && baseline < 0.6, "random projection mAP " + baseline + " is off its usual 0.4");
        assertTrue(mlh > baseline + 0.2, "MLH mAP " + mlh + " does not clearly beat random projection " + baseline);
    }
}
