package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.eval.RetrievalMetrics;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.shard.ImageCodec;
import io.mlh.jobs.shard.ShardTable;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The per-epoch validation mAP: the first {@code jobs.validation-queries} query rows of the shard table (held
 * out of training) ranked against its first {@code jobs.validation-database} database rows, by the codes of the
 * branch retrieval uses, with {@link RetrievalMetrics} on the driver. The rows stay encoded (JPEG / raw bytes)
 * and are decoded a batch at a time, so a large input size costs no more driver memory than the files.
 */
final class Validation {
    private final List<Row> queries, database;
    private final JobSettings s;

    private Validation(List<Row> queries, List<Row> database, JobSettings s) {
        this.queries = queries;
        this.database = database;
        this.s = s;
    }

    /** The held-out rows, or null when validation is off or the table has no query or database rows. */
    static Validation of(Dataset<Row> shards, JobSettings s) {
        if (s.validationQueries == 0 || s.validationDatabase == 0) return null;
        long seed = s.model.seed();
        List<Row> q = take(shards, ShardTable.QUERY, s.validationQueries, seed), d = take(shards, ShardTable.DATABASE, s.validationDatabase, seed);
        return q.isEmpty() || d.isEmpty() ? null : new Validation(q, d, s);
    }

    /**
     * n rows of the split spread over the whole table, the same every epoch: image folders catalogue
     * class by class, so the first n ids would all be one class (and every item relevant: mAP 1).
     */
    private static List<Row> take(Dataset<Row> shards, String split, int n, long seed) {
        return shards.filter(shards.col("split").equalTo(split))
                .orderBy(org.apache.spark.sql.functions.hash(shards.col("id"), org.apache.spark.sql.functions.lit(seed)), shards.col("id"))
                .limit(n).selectExpr(ShardSamples.COLUMNS).collectAsList();
    }

    /** The held-out queries' label vectors. */
    float[][] queryLabels() {
        return labels(queries);
    }

    int queries() {
        return queries.size();
    }

    int database() {
        return database.size();
    }

    /**
     * mAP@all of the queries against the database under {@code net} (left in training mode, its buffers
     * cleared), for each branch the method trains: one forward pass gives both branches' codes.
     */
    BranchMaps map(AbstractModule<Activity, Activity, Float> net) {
        MlhConfig c = s.model;
        net.evaluate();
        try {
            PackedCodes[] q = codes(net, queries), d = codes(net, database);
            float[][] qy = labels(queries), dy = labels(database);
            double centre = c.usesCentreBranch() ? new RetrievalMetrics(q[0], qy, d[0], dy).meanAveragePrecision(0) : Double.NaN;
            double pairwise = c.usesPairwiseBranch() ? new RetrievalMetrics(q[1], qy, d[1], dy).meanAveragePrecision(0) : Double.NaN;
            return new BranchMaps(centre, pairwise, c.effectiveEncodeBranch() == MlhConfig.EncodeBranch.PAIRWISE);
        } finally {
            net.clearState(); // the optimiser broadcasts this model: no activations along
            net.training();
        }
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

    /** Both branches' sign codes of {@code rows}: [0] centre, [1] pairwise. */
    private PackedCodes[] codes(AbstractModule<Activity, Activity, Float> net, List<Row> rows) {
        MlhConfig c = s.model;
        int size = c.inputSize(), ch = c.inputChannels(), per = ch * size * size, bits = c.bits();
        float[][] signs = new float[2][rows.size() * bits];
        int batch = MlhNet.inferenceBatch(c);
        for (int from = 0; from < rows.size(); from += batch) {
            int m = Math.min(batch, rows.size() - from);
            float[] px = new float[m * per];
            for (int i = 0; i < m; i++) {
                Row r = rows.get(from + i);
                int height = r.getInt(3), width = r.getInt(4);
                float[] one = ImageCodec.toTensorData(r.getString(2), (byte[]) r.get(1), height, width, r.getInt(5),
                        size, ch, s.mean, s.std, ImageCodec.Region.centre(height, width, s.centreCrop));
                System.arraycopy(one, 0, px, i * per, per);
            }
            Table out = net.forward(BigDL.tensor(px, m, ch, size, size)).toTable();
            for (int b = 0; b < 2; b++) System.arraycopy(BigDL.toArray(BigDL.tensorAt(out, b + 1)), 0, signs[b], from * bits, m * bits);
        }
        return new PackedCodes[] {PackedCodes.fromSigns(signs[0], rows.size(), bits), PackedCodes.fromSigns(signs[1], rows.size(), bits)};
    }

    private static float[][] labels(List<Row> rows) {
        float[][] y = new float[rows.size()][];
        for (int i = 0; i < y.length; i++) y[i] = ShardSamples.labels(rows.get(i).getList(6));
        return y;
    }
}
