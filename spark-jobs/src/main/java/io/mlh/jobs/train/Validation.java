package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.eval.RetrievalMetrics;
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
    private static final int BATCH = 64;
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

    /** mAP@all of the queries against the database under {@code net} (left in training mode, its buffers cleared). */
    double map(AbstractModule<Activity, Activity, Float> net) {
        MlhConfig c = s.model;
        int branch = c.effectiveEncodeBranch() == MlhConfig.EncodeBranch.PAIRWISE ? 2 : 1;
        net.evaluate();
        try {
            RetrievalMetrics m = new RetrievalMetrics(codes(net, queries, branch), labels(queries), codes(net, database, branch), labels(database));
            return m.meanAveragePrecision(0);
        } finally {
            net.clearState(); // the optimiser broadcasts this model: no activations along
            net.training();
        }
    }

    private PackedCodes codes(AbstractModule<Activity, Activity, Float> net, List<Row> rows, int branch) {
        MlhConfig c = s.model;
        int size = c.inputSize(), ch = c.inputChannels(), per = ch * size * size, bits = c.bits();
        float[] signs = new float[rows.size() * bits];
        for (int from = 0; from < rows.size(); from += BATCH) {
            int m = Math.min(BATCH, rows.size() - from);
            float[] px = new float[m * per];
            for (int i = 0; i < m; i++) {
                Row r = rows.get(from + i);
                float[] one = ImageCodec.toTensorData(r.getString(2), (byte[]) r.get(1), r.getInt(3), r.getInt(4), r.getInt(5),
                        size, ch, s.mean, s.std);
                System.arraycopy(one, 0, px, i * per, per);
            }
            float[] u = BigDL.toArray(BigDL.tensorAt(net.forward(BigDL.tensor(px, m, ch, size, size)).toTable(), branch));
            System.arraycopy(u, 0, signs, from * bits, m * bits);
        }
        return PackedCodes.fromSigns(signs, rows.size(), bits);
    }

    private static float[][] labels(List<Row> rows) {
        float[][] y = new float[rows.size()][];
        for (int i = 0; i < y.length; i++) y[i] = ShardSamples.labels(rows.get(i).getList(6));
        return y;
    }
}
