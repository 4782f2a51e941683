package io.mlh.jobs.calibrate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.Int8Scales;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.tables.ShardTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code mlh-calibrate} ({@code mlh-encode.jar}): a model bundle and its shard table -> a calibrated
 * bundle, the same model with the int8 scales of its backbone ({@code int8-scales.json}) that {@code
 * jobs.encode.precision = int8} and {@code jobs.serve.precision = int8} run with. The scales are the
 * largest values each layer sees on a seeded sample of training images, measured on the driver; the
 * sample's ids, the source bundle and its model's SHA-256 are recorded beside them. The source bundle
 * stays as it is.
 */
public final class CalibrateJob {
    private static final Logger LOG = Logger.getLogger(CalibrateJob.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private CalibrateJob() {}

    public static final Command COMMAND = new Command(
            "mlh-calibrate",
            "mlh-encode.jar",
            CalibrateJob.class,
            "Measures the int8 scales of the model bundle (paths.model) on training images of the shard table\n"
                    + "(paths.shards) and writes them with the model as a calibrated bundle (jobs.calibrate.output).",
            Command.keys(Arrays.asList(CalibrateSettings.class, JobSettings.class)));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, (spark, s) -> run(spark, s));
    }

    /** Calibrates and commits the calibrated bundle; returns its path. */
    @SuppressWarnings("unchecked")
    public static String run(SparkSession spark, JobSettings s) throws IOException {
        CalibrateSettings c = new CalibrateSettings(s);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        ModelBundle bundle = ModelBundle.load(conf, s.modelPath);
        String sourceSha = CommittedOutput.verified(conf, s.modelPath).sha256(ModelBundle.MODEL);
        CommittedOutput.requireCommitted(spark, s.shardsPath, s.verifyInputs);
        List<Row> rows = ShardTable.readComplete(spark, s.shardsPath)
                .where(functions.col(ShardTable.TRAINING))
                .select("id", "image", "format", "height", "width", "channels")
                .orderBy(functions.hash(functions.col("id"), functions.lit(c.seed)), functions.col("id"))
                .limit(c.images)
                .collectAsList();
        if (rows.isEmpty())
            throw new IllegalArgumentException(
                    "the shard table " + s.shardsPath + " has no training images to calibrate on");
        if (rows.size() < c.images)
            LOG.warn("calibrating on " + rows.size() + " training images, all the shard table has ("
                    + CalibrateSettings.IMAGES.fullName() + " = " + c.images + ")");

        Framing framing = Framing.of(bundle);
        Int8Scales scales =
                Int8Scales.calibrate((Graph<Float>) (Object) bundle.net, new Batches(rows, framing, c.batchSize));

        ObjectNode record = JSON.createObjectNode();
        record.put("shards", s.shardsPath);
        record.put("seed", c.seed);
        record.put("images", rows.size());
        ArrayNode ids = record.putArray("ids");
        for (Row r : rows) ids.add(r.getLong(0));
        ObjectNode from = record.putObject("calibrated_from");
        from.put("path", s.modelPath);
        from.put("model_sha256", sourceSha);
        bundle.withInt8(scales, record).save(conf, c.output, s.overwrite, s.claims);
        LOG.info("int8 scales of " + scales.layers().size() + " layers measured on " + rows.size()
                + " training images; calibrated bundle written to " + c.output);
        return c.output;
    }

    /** The sampled rows framed as the network's input, a batch at a time (a lone last image doubled: the loaded graph's reshapes need two). */
    private static final class Batches implements Iterator<Tensor<Float>> {
        private final List<Row> rows;
        private final Framing framing;
        private final int size;
        private int next;

        Batches(List<Row> rows, Framing framing, int size) {
            this.rows = rows;
            this.framing = framing;
            this.size = size;
        }

        @Override
        public boolean hasNext() {
            return next < rows.size();
        }

        @Override
        public Tensor<Float> next() {
            List<float[]> images = new ArrayList<>();
            for (; next < rows.size() && images.size() < size; next++) images.add(framing.pixels(rows.get(next), null));
            if (images.size() == 1) images.add(images.get(0));
            int per = framing.values();
            float[] px = new float[images.size() * per];
            for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i), 0, px, i * per, per);
            return BigDL.tensor(px, images.size(), framing.channels, framing.size, framing.size);
        }
    }
}
