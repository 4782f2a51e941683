package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
    private final ReportRows rows;
    private final MlhConfig model;
    private final Framing framing;
    private final HashCentres centres;
    private final long stepsPerEpoch;

    private EpochReport(ReportRows rows, MlhConfig model, Framing framing, HashCentres centres, long stepsPerEpoch) {
        this.rows = rows;
        this.model = model;
        this.framing = framing;
        this.centres = centres;
        this.stepsPerEpoch = stepsPerEpoch;
    }

    /**
     * The report on the probe (the first {@link ReportRows#PROBE} rows of {@code train}) and on
     * {@code queries} and {@code database} held-out rows of {@code shards}, drawn with the model's seed.
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
        return new EpochReport(
                ReportRows.of(shards, train, queries, database, model.seed()), model, framing, centres, stepsPerEpoch);
    }

    int queries() {
        return rows.queries;
    }

    int database() {
        return rows.database;
    }

    boolean validates() {
        return rows.queries > 0;
    }

    /** The held-out queries' label vectors. */
    float[][] queryLabels() {
        return Arrays.copyOfRange(rows.labels, rows.probe, rows.probe + rows.queries);
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
                rows.rows.context(), net, framing, MlhNet.inferenceBatch(c), c.engine() == MlhConfig.Engine.MKLDNN);
        net.training();
        List<MixtureOfHashExperts.Term> moh = MixtureOfHashExperts.terms(MixtureOfHashExperts.Spec.of(c), c.bits());
        float[][][] outputs = new float[rows.labels.length][][];
        for (Tuple2<Long, float[][]> t : rows.rows
                .mapPartitionsToPair(new ReportForward(inference, rows.probe, moh))
                .collect()) outputs[(int) (long) t._1()] = t._2();
        return new Outcome(terms(outputs, epoch).withMoh(mohTerms(outputs, moh)), validates() ? maps(outputs) : null);
    }

    /** The MoH's training terms on the probe, by label, from the rows of their layers' inputs. */
    private Map<String, Double> mohTerms(float[][][] outputs, List<MixtureOfHashExperts.Term> moh) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (int k = 0; k < moh.size(); k++) {
            int per = outputs[0][1 + k].length;
            float[] in = new float[rows.probe * per];
            for (int i = 0; i < rows.probe; i++) System.arraycopy(outputs[i][1 + k], 0, in, i * per, per);
            values.put(moh.get(k).label, moh.get(k).value(in, rows.probe));
        }
        return values;
    }

    /** The loss terms the schedule trains in this epoch (joint view for the alternate mode), on the probe. */
    private LossTerms terms(float[][][] outputs, int epoch) {
        MlhConfig c = model;
        int bits = c.bits();
        Tensor<Float> uc = BigDL.tensor(rows.probe, bits),
                up = BigDL.tensor(rows.probe, bits),
                y = BigDL.tensor(rows.probe, c.classes());
        for (int i = 0; i < rows.probe; i++) {
            BigDL.write(uc, i * bits, outputs[i][0], 0, bits);
            BigDL.write(up, i * bits, outputs[i][0], bits, bits);
            BigDL.write(y, i * c.classes(), rows.labels[i], 0, c.classes());
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
        int probe = rows.probe, queries = rows.queries, database = rows.database;
        PackedCodes[] q = codes(outputs, probe, queries), d = codes(outputs, probe + queries, database);
        float[][] qy = Arrays.copyOfRange(rows.labels, probe, probe + queries);
        float[][] dy = Arrays.copyOfRange(rows.labels, probe + queries, probe + queries + database);
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
        rows.release();
    }
}
