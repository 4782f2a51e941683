package io.mlh.jobs.encode;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.ConfigError;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.EncodeBranch;
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.shard.Framing;
import io.mlh.jobs.shard.ShardTable;
import io.mlh.jobs.shard.SourceImages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mlh-encode.jar}: a model bundle and a shard table (or the images themselves, {@code
 * jobs.encode.input = source}) -> distributed inference -> the Parquet hash-code table (id, split, labels, bits, packed code words, optionally the continuous code),
 * committed atomically. The model reaches the executors once through BigDL's weight-sharing
 * broadcast; each partition encodes in batches.
 */
public final class EncodeJob {
    private static final Logger LOG = Logger.getLogger(EncodeJob.class);

    private EncodeJob() {}

    public static void main(String[] args) throws Exception {
        Spark.main("mlh-encode", args, (spark, s) -> run(spark, s));
    }

    /**
     * Encodes every row of the shard table, or with {@code jobs.encode.input = source} every image of the
     * source {@code data.*} describes; returns the number of codes written.
     */
    public static long run(SparkSession spark, JobSettings s) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        ModelBundle bundle = ModelBundle.load(hadoop, s.modelPath);
        MlhConfig m = bundle.config;
        EncodeBranch branch =
                s.model.encodeBranch() != EncodeBranch.AUTO ? s.model.encodeBranch() : m.effectiveEncodeBranch();
        boolean mkldnn = s.model.engine() == MlhConfig.Engine.MKLDNN;
        if (s.gates && m.effectiveMohMode() == MlhConfig.MohMode.NONE) {
            throw new ConfigError(
                    "mlh.jobs.encode.gates",
                    "the model at " + s.modelPath + " has no MoH gates (method "
                            + m.method().configName() + ", moh.mode "
                            + m.effectiveMohMode().configName() + ")");
        }
        if (s.gates && mkldnn)
            throw new ConfigError(
                    "mlh.jobs.encode.gates", "reads the gate layers of the plain graph: use train.engine = mklblas");
        Settings job = new Settings(
                m.bits(),
                branch == EncodeBranch.PAIRWISE ? MlhNet.PAIRWISE_OUTPUT : MlhNet.CENTRE_OUTPUT,
                s.continuous,
                s.gates);
        ExecutorInference inference = new ExecutorInference(
                spark.sparkContext(),
                bundle.net,
                new Framing(m.inputSize(), m.inputChannels(), bundle.mean, bundle.std, bundle.centreCrop),
                s.encodeBatchSize,
                mkldnn);
        String what = m.bits() + " bits (" + branch.configName() + " branch)";

        if (s.encodeInput == JobSettings.EncodeInput.SOURCE) {
            SourceImages images = SourceImages.read(spark, s);
            long n = images.writeWithRejects(
                    spark,
                    s.codesPath,
                    s,
                    staging -> write(spark, images.rows(), images.catalogued(), inference, job, staging, s));
            LOG.info(n + " codes of " + what + " from " + s.root + " written to " + s.codesPath + ", "
                    + images.rejects().size() + " rejected");
            return n;
        }
        CommittedOutput.requireCommitted(spark, s.shardsPath, s.verifyInputs);
        long n = CommittedOutput.write(spark, s.codesPath, s.overwrite, s.claims, staging -> {
            Dataset<Row> shards = ShardTable.read(spark, s.shardsPath);
            return write(spark, shards, shards.count(), inference, job, staging, s);
        });
        LOG.info(n + " codes of " + what + " written to " + s.codesPath);
        return n;
    }

    /** Encodes shard-table rows into a staging directory; returns the codes written, counted from the files. */
    private static long write(
            SparkSession spark,
            Dataset<Row> images,
            long total,
            ExecutorInference inference,
            Settings job,
            Path staging,
            JobSettings s) {
        try (Progress progress = Progress.start(spark.sparkContext(), "encode", "images", total, s)) {
            JavaRDD<Row> codes = progress.counted(
                            images.selectExpr("id", "split", "labels", "image", "format", "height", "width", "channels")
                                    .toJavaRDD())
                    .mapPartitions(new EncodePartition(inference, job));
            spark.createDataFrame(codes, CodeTable.schema(s.continuous, s.gates))
                    .write()
                    .mode(SaveMode.Overwrite)
                    .parquet(staging.toString());
        }
        return spark.read()
                .schema(CodeTable.schema(s.continuous, s.gates))
                .parquet(staging.toString())
                .count();
    }

    /** What the code rows hold, as plain serialisable values. */
    private static final class Settings implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final int bits, outputIndex;
        final boolean continuous, gates;

        Settings(int bits, int outputIndex, boolean continuous, boolean gates) {
            this.bits = bits;
            this.outputIndex = outputIndex;
            this.continuous = continuous;
            this.gates = gates;
        }
    }

    /** One partition's rows -> their codes, a batch at a time. */
    private static final class EncodePartition implements FlatMapFunction<Iterator<Row>, Row> {
        private static final long serialVersionUID = 1L;
        private final ExecutorInference inference;
        private final Settings settings;

        EncodePartition(ExecutorInference inference, Settings settings) {
            this.inference = inference;
            this.settings = settings;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new BatchedCodes(rows, inference, inference.net(), settings);
        }
    }

    /** Codes of a partition's rows, encoded a batch at a time as they are pulled: a task holds one batch. */
    private static final class BatchedCodes implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final ExecutorInference inference;
        private final AbstractModule<Activity, Activity, Float> net;
        private final Settings s;
        private final List<Row> batch = new ArrayList<>();
        private Iterator<Row> ready = java.util.Collections.emptyIterator();

        BatchedCodes(
                Iterator<Row> rows,
                ExecutorInference inference,
                AbstractModule<Activity, Activity, Float> net,
                Settings s) {
            this.rows = rows;
            this.inference = inference;
            this.net = net;
            this.s = s;
        }

        @Override
        public boolean hasNext() {
            if (!ready.hasNext() && rows.hasNext()) ready = encodeNextBatch().iterator();
            return ready.hasNext();
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new java.util.NoSuchElementException();
            return ready.next();
        }

        private List<Row> encodeNextBatch() {
            batch.clear();
            while (batch.size() < inference.batch && rows.hasNext()) batch.add(rows.next());
            Table codes = inference.forward(net, batch);
            float[] flat = ExecutorInference.firstRows(BigDL.tensorAt(codes, s.outputIndex), batch.size());
            PackedCodes packed = PackedCodes.fromSigns(flat, batch.size(), s.bits);
            float[][] gateCentre = s.gates ? gateWeights(MixtureOfHashExperts.CENTRE) : null;
            float[][] gatePairwise = s.gates ? gateWeights(MixtureOfHashExperts.PAIRWISE) : null;
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                // Spark 2.4 takes arrays back as Scala Seqs or Java arrays, not java.util.Lists
                List<Integer> y = r.getList(r.fieldIndex("labels"));
                int[] labels = new int[y.size()];
                for (int k = 0; k < labels.length; k++) labels[k] = y.get(k);
                long[] words = packed.code(i);
                List<Object> values = new ArrayList<>(java.util.Arrays.<Object>asList(
                        r.<Long>getAs("id"), r.<String>getAs("split"), labels, s.bits, words));
                if (s.continuous) values.add(java.util.Arrays.copyOfRange(flat, i * s.bits, (i + 1) * s.bits));
                if (s.gates) {
                    values.add(gateCentre[i]);
                    values.add(gatePairwise[i]);
                }
                out.add(RowFactory.create(values.toArray()));
            }
            return out;
        }

        /** The softmax gate of one branch from the last forward pass: a row of K weights per image. */
        private float[][] gateWeights(String branch) {
            String layer = branch + MixtureOfHashExperts.GATE_WEIGHTS;
            scala.Option<AbstractModule<Activity, Activity, Float>> gate = net.apply(layer);
            if (gate.isEmpty()) throw new IllegalStateException("the model has no layer " + layer);
            float[][] g = BigDL.toMatrix(
                    (com.intel.analytics.bigdl.tensor.Tensor<Float>) gate.get().output());
            return g.length == batch.size() ? g : java.util.Arrays.copyOf(g, batch.size());
        }
    }
}
