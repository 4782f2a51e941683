package io.mlh.core.train;

import com.intel.analytics.bigdl.nn.Graph;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.codes.HashEncoder;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.codes.SignRandomProjection;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.data.FashionMnist;
import io.mlh.core.data.LabelledImages;
import io.mlh.core.data.RetrievalSplit;
import io.mlh.core.eval.RetrievalMetrics;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * MLH end to end in one JVM on Fashion-MNIST: split (1,000 queries, 100 a class; the other 69,000
 * images the database; 500 training images a class from it), train, encode, evaluate mAP@all against
 * sign random projection. Arguments: a HOCON file (or "-") then key=value overrides.
 */
public final class LocalDemo {
    private LocalDemo() {}

    public static void main(String[] args) throws Exception {
        MlhConfig config = MlhConfig.load(
                args.length == 0 || args[0].equals("-") ? null : Paths.get(args[0]),
                Arrays.asList(args).subList(Math.min(1, args.length), args.length));
        ComputeEngine.select(config.engine()); // JVM-wide: before BigDL's engine starts
        BigDL.initLocal(Runtime.getRuntime().availableProcessors());
        long start = System.nanoTime();
        LabelledImages all = FashionMnist.all();
        RetrievalSplit split = RetrievalSplit.of(all.labels, 100, 500, config.seed());
        LabelledImages query = all.select(split.query),
                database = all.select(split.database),
                train = all.select(split.train);
        System.out.printf(
                "Fashion-MNIST: %d queries, %d database, %d training images; %s, %d bits%n",
                query.size(), database.size(), train.size(), config.method().configName(), config.bits());

        HashCentres centres =
                HashCentres.generate(config.classes(), config.bits(), config.seed(), config.centreMinDistance());
        Graph<Float> net = new LocalTrainer(config, centres).train(train, r -> System.out.println("  " + r));
        PackedCodes q = HashEncoder.encode(net, query, 256).binary(config.effectiveEncodeBranch());
        PackedCodes db = HashEncoder.encode(net, database, 256).binary(config.effectiveEncodeBranch());
        RetrievalMetrics.Report mlh =
                new RetrievalMetrics(q, query.labels, db, database.labels).evaluate(0, new int[] {1000});

        SignRandomProjection srp = new SignRandomProjection(database, config.bits(), config.seed());
        double floor = new RetrievalMetrics(srp.encode(query), query.labels, srp.encode(database), database.labels)
                .meanAveragePrecision(0);
        System.out.printf(
                "mAP@all %.4f (sign random projection %.4f), P@H<=2 %.4f, P@1000 %.4f, %d bits, %.0f s%n",
                mlh.map,
                floor,
                mlh.precisionWithinRadius(2),
                mlh.precisionAtNValues[0],
                config.bits(),
                (System.nanoTime() - start) / 1e9);
    }
}
