package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.eval.RetrievalMetrics;
import io.mlh.core.loss.LossTerms;
import io.mlh.core.loss.MlhCriterion;
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.inference.ExecutorInference;
import io.mlh.jobs.tables.Split;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * What the train job measures after each epoch, in one forward pass on the executors (the encode job's
 * {@link ExecutorInference}, so it scales with the cluster as training does): every loss term on a
 * fixed probe batch of training images (the MoH's balance and diversity terms from their layers' inputs,
 * which the executors send for the probe's rows), and the validation mAP of each trained branch, the first
 * {@code jobs.train.validation-queries} query rows (held out of training) ranked against the first
 * {@code jobs.train.validation-database} database rows. The rows stay encoded (JPEG / raw bytes), cached on
 * the executors; only their labels and, each epoch, their codes come to the driver.
 */
final class EpochReport {
    /** Training images the loss terms are reported on. */
    static final int PROBE = 256;

    private final JavaPairRDD<Long, Row> rows; // position -> row: the probe, then the queries, then the database
    private final int probe, queries, database;
    private final float[][] labels;
    private final MlhConfig model;
    private final Framing framing;
    private final HashCentres centres;
    private final long stepsPerEpoch;

    private EpochReport(
            JavaPairRDD<Long, Row> rows,
            int probe,
            int queries,
            int database,
            float[][] labels,
            MlhConfig model,
            Framing framing,
            HashCentres centres,
            long stepsPerEpoch) {
        this.rows = rows;
        this.probe = probe;
        this.queries = queries;
        this.database = database;
        this.labels = labels;
        this.model = model;
        this.framing = framing;
        this.centres = centres;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    /**
     * The probe (the first {@link #PROBE} rows of {@code train}, in id order) and the held-out rows of
     * {@code shards} ({@code queries} and {@code database} of them, drawn with the model's seed); no
     * validation when either is 0 or the table has no query or database rows.
     */
    static EpochReport of(
            Dataset<Row> shards,
            Dataset<Row> train,
            MlhConfig model,
            Framing framing,
            int queries,
            int database,
            HashCentres centres,
            long stepsPerEpoch) {
        Dataset<Row> all = part(train.orderBy("id").limit(PROBE).selectExpr(ShardSamples.COLUMNS), PROBE_PART);
        if (queries > 0 && database > 0) {
            all = all.union(part(heldOut(shards, Split.QUERY.value(), queries, model.seed()), QUERY_PART))
                    .union(part(heldOut(shards, Split.DATABASE.value(), database, model.seed()), DATABASE_PART));
        }
        // the few selected rows cached before numbering: zipWithIndex runs a job of its own, so the
        // shard table is scanned once for them, not once a job
        all = all.persist(StorageLevel.MEMORY_AND_DISK());
        int partitions = shards.sparkSession().sparkContext().defaultParallelism();
        JavaPairRDD<Long, Row> indexed = all.toJavaRDD()
                .zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .repartition(partitions)
                .persist(StorageLevel.MEMORY_AND_DISK());
        List<Tuple2<Long, Tuple2<Integer, float[]>>> y = indexed.mapValues(
                        r -> new Tuple2<>(r.<Integer>getAs(PART), ShardSamples.labels(r)))
                .collect();
        all.unpersist(false);
        float[][] labels = new float[y.size()][];
        int[] counts = new int[3];
        for (Tuple2<Long, Tuple2<Integer, float[]>> t : y) {
            labels[(int) (long) t._1()] = t._2()._2();
            counts[t._2()._1()]++;
        }
        boolean validates = counts[QUERY_PART] > 0 && counts[DATABASE_PART] > 0;
        return new EpochReport(
                indexed,
                counts[PROBE_PART],
                validates ? counts[QUERY_PART] : 0,
                validates ? counts[DATABASE_PART] : 0,
                labels,
                model,
                framing,
                centres,
                stepsPerEpoch);
    }

    /** Which of the three row sets a row belongs to; the union keeps them in this order, so positions follow it. */
    private static final String PART = "part";

    private static final int PROBE_PART = 0, QUERY_PART = 1, DATABASE_PART = 2;

    private static Dataset<Row> part(Dataset<Row> rows, int part) {
        return rows.withColumn(PART, functions.lit(part));
    }

    /**
     * n rows of the split spread over the whole table, the same every epoch: image folders catalogue
     * class by class, so the first n ids would all be one class (and every item relevant: mAP 1).
     */
    private static Dataset<Row> heldOut(Dataset<Row> shards, String split, int n, long seed) {
        return shards.filter(shards.col("split").equalTo(split))
                .orderBy(functions.hash(shards.col("id"), functions.lit(seed)), shards.col("id"))
                .limit(n)
                .selectExpr(ShardSamples.COLUMNS);
    }

    int queries() {
        return queries;
    }

    int database() {
        return database;
    }

    boolean validates() {
        return queries > 0;
    }

    /** The held-out queries' label vectors. */
    float[][] queryLabels() {
        return Arrays.copyOfRange(labels, probe, probe + queries);
    }

    /** The probe's loss terms and the validation mAPs (null without validation) of one epoch. */
    static final class Outcome {
        final LossTerms terms;
        final BranchMaps maps;

        Outcome(LossTerms terms, BranchMaps maps) {
            this.terms = terms;
            this.maps = maps;
        }
    }

    /** Forwards every row under {@code net} (left in training mode) on the executors and measures. */
    Outcome measure(AbstractModule<Activity, Activity, Float> net, int epoch) {
        MlhConfig c = model;
        ExecutorInference inference = new ExecutorInference(
                rows.context(), net, framing, MlhNet.inferenceBatch(c), c.engine() == MlhConfig.Engine.MKLDNN);
        net.training();
        List<MixtureOfHashExperts.Term> moh = MixtureOfHashExperts.terms(MixtureOfHashExperts.Spec.of(c), c.bits());
        float[][][] outputs = new float[labels.length][][];
        for (Tuple2<Long, float[][]> t :
                rows.mapPartitionsToPair(new Forward(inference, probe, moh)).collect())
            outputs[(int) (long) t._1()] = t._2();
        return new Outcome(terms(outputs, epoch).withMoh(mohTerms(outputs, moh)), validates() ? maps(outputs) : null);
    }

    /** The MoH's training terms on the probe, by label, from the rows of their layers' inputs. */
    private Map<String, Double> mohTerms(float[][][] outputs, List<MixtureOfHashExperts.Term> moh) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (int k = 0; k < moh.size(); k++) {
            int per = outputs[0][1 + k].length;
            float[] in = new float[probe * per];
            for (int i = 0; i < probe; i++) System.arraycopy(outputs[i][1 + k], 0, in, i * per, per);
            values.put(moh.get(k).label, moh.get(k).value(in, probe));
        }
        return values;
    }

    /** The loss terms the schedule trains in this epoch (joint view for the alternate mode), on the probe. */
    private LossTerms terms(float[][][] outputs, int epoch) {
        MlhConfig c = model;
        int bits = c.bits();
        Tensor<Float> uc = BigDL.tensor(probe, bits),
                up = BigDL.tensor(probe, bits),
                y = BigDL.tensor(probe, c.classes());
        for (int i = 0; i < probe; i++) {
            BigDL.write(uc, i * bits, outputs[i][0], 0, bits);
            BigDL.write(up, i * bits, outputs[i][0], bits, bits);
            BigDL.write(y, i * c.classes(), labels[i], 0, c.classes());
        }
        MlhConfig joint = c.mutualMode() == MlhConfig.MutualMode.ALTERNATE ? c.with("mutual.mode", "joint") : c;
        MlhCriterion criterion = new MlhCriterion(joint, centres, stepsPerEpoch);
        criterion.startAt((epoch - 1) * stepsPerEpoch);
        criterion.forward(BigDL.table(uc, up), y);
        return criterion.lastTerms();
    }

    /** mAP@all of the held-out queries against the database, for each branch the method trains. */
    private BranchMaps maps(float[][][] outputs) {
        MlhConfig c = model;
        PackedCodes[] q = codes(outputs, probe, queries), d = codes(outputs, probe + queries, database);
        float[][] qy = Arrays.copyOfRange(labels, probe, probe + queries);
        float[][] dy = Arrays.copyOfRange(labels, probe + queries, probe + queries + database);
        double centre =
                c.usesCentreBranch() ? new RetrievalMetrics(q[0], qy, d[0], dy).meanAveragePrecision(0) : Double.NaN;
        double pairwise =
                c.usesPairwiseBranch() ? new RetrievalMetrics(q[1], qy, d[1], dy).meanAveragePrecision(0) : Double.NaN;
        return new BranchMaps(centre, pairwise, c.effectiveEncodeBranch() == MlhConfig.EncodeBranch.PAIRWISE);
    }

    /** Both branches' sign codes of rows [from, from + n): [0] centre, [1] pairwise. */
    private PackedCodes[] codes(float[][][] outputs, int from, int n) {
        int bits = model.bits();
        float[][] signs = new float[2][n * bits];
        for (int i = 0; i < n; i++) {
            for (int b = 0; b < 2; b++) System.arraycopy(outputs[from + i][0], b * bits, signs[b], i * bits, bits);
        }
        return new PackedCodes[] {PackedCodes.fromSigns(signs[0], n, bits), PackedCodes.fromSigns(signs[1], n, bits)};
    }

    /** The validation mAP of each branch (NaN for a branch the method does not train) and which one retrieval uses. */
    static final class BranchMaps {
        final double centre, pairwise;
        private final boolean retrievalIsPairwise;

        BranchMaps(double centre, double pairwise, boolean retrievalIsPairwise) {
            this.centre = centre;
            this.pairwise = pairwise;
            this.retrievalIsPairwise = retrievalIsPairwise;
        }

        /** The mAP of the branch whose signs are the retrieval codes. */
        double retrieval() {
            return retrievalIsPairwise ? pairwise : centre;
        }

        /** The other trained branch's mAP, NaN when the method trains one branch. */
        double other() {
            return retrievalIsPairwise ? centre : pairwise;
        }

        String otherBranch() {
            return retrievalIsPairwise ? "centre" : "pairwise";
        }
    }

    /** Unpersists the cached rows. */
    void release() {
        rows.unpersist(false);
    }

    /**
     * A partition's (position, row) pairs -> (position, {u_c followed by u_p, then for a probe row the row
     * of each MoH term layer's input}), a batch at a time.
     */
    private static final class Forward implements PairFlatMapFunction<Iterator<Tuple2<Long, Row>>, Long, float[][]> {
        private static final long serialVersionUID = 1L;
        private final ExecutorInference inference;
        private final int probe;
        private final List<MixtureOfHashExperts.Term> moh;

        Forward(ExecutorInference inference, int probe, List<MixtureOfHashExperts.Term> moh) {
            this.inference = inference;
            this.probe = probe;
            this.moh = moh;
        }

        @Override
        public Iterator<Tuple2<Long, float[][]>> call(Iterator<Tuple2<Long, Row>> part) {
            List<Tuple2<Long, float[][]>> out = new ArrayList<>();
            if (!part.hasNext()) return out.iterator();
            AbstractModule<Activity, Activity, Float> net = inference.net();
            List<Long> at = new ArrayList<>();
            List<Row> batch = new ArrayList<>();
            while (part.hasNext()) {
                Tuple2<Long, Row> t = part.next();
                at.add(t._1());
                batch.add(t._2());
                if (batch.size() == inference.batch || !part.hasNext()) {
                    Table o = inference.forward(net, batch);
                    float[] uc = ExecutorInference.firstRows(MlhNet.centre(o), batch.size());
                    float[] up = ExecutorInference.firstRows(MlhNet.pairwise(o), batch.size());
                    float[][] termInputs = new float[moh.size()][];
                    for (int k = 0; k < moh.size(); k++) {
                        Tensor<Float> in = BigDL.layerOutput(net, moh.get(k).layer);
                        if (in == null) throw new IllegalStateException("the network has no layer " + moh.get(k).layer);
                        termInputs[k] = ExecutorInference.firstRows(in, batch.size());
                    }
                    int bits = uc.length / batch.size();
                    for (int i = 0; i < batch.size(); i++) {
                        boolean probeRow = at.get(i) < probe;
                        float[][] row = new float[probeRow ? 1 + moh.size() : 1][];
                        row[0] = new float[2 * bits];
                        System.arraycopy(uc, i * bits, row[0], 0, bits);
                        System.arraycopy(up, i * bits, row[0], bits, bits);
                        for (int k = 0; probeRow && k < moh.size(); k++) {
                            int per = termInputs[k].length / batch.size();
                            row[1 + k] = Arrays.copyOfRange(termInputs[k], i * per, (i + 1) * per);
                        }
                        out.add(new Tuple2<>(at.get(i), row));
                    }
                    at.clear();
                    batch.clear();
                }
            }
            return out.iterator();
        }
    }
}
