package io.mlh.jobs.inference;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.Int8Inference;
import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import io.mlh.core.config.ConfigError;
import io.mlh.core.config.Key;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.config.MlhConfig.EncodeBranch;
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.tables.CodeTable;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A model bundle's network turning images (rows with the shard table's image columns) into code-table
 * rows on the executors, a batch at a time, with the bundle's own framing and the engine from config:
 * what the encode job writes and what the search job ranks when its queries are images.
 */
public final class ImageEncoder {
    /** Images a forward pass, wherever images are encoded on the executors. */
    public static final Key<Integer> BATCH_SIZE = Key.integer("jobs.encode.batch-size", 1);
    /** The backbone's arithmetic, wherever images are encoded on the executors. */
    public static final Key<Precision> PRECISION = Key.choice("jobs.encode.precision", Precision.class);

    private final ExecutorInference inference;
    private final Settings settings;
    private final CodeTable.Provenance provenance;
    private final String description;

    private ImageEncoder(
            ExecutorInference inference, Settings settings, CodeTable.Provenance provenance, String description) {
        this.inference = inference;
        this.settings = settings;
        this.provenance = provenance;
        this.description = description;
    }

    /**
     * The bundle's network (read from {@code modelPath}) broadcast for encoding, {@code batch} images a
     * forward pass (MKL-DNN pads every pass to it), with the optional columns {@code extras}, from the branch the job's {@code encode.branch} picks (auto: the model's own) on the job's
     * engine, in the precision the job's {@code precision} key says (int8: the bundle's scales, refused
     * with the reason where int8 cannot run).
     */
    public static ImageEncoder of(
            SparkSession spark,
            ModelBundle bundle,
            String modelPath,
            MlhConfig job,
            Key<Precision> precision,
            Set<CodeTable.Extra> extras,
            int batch) {
        MlhConfig m = bundle.config;
        boolean gates = extras.contains(CodeTable.Extra.GATES);
        boolean int8 = job.reader().get(precision) == Precision.INT8;
        EncodeBranch branch = job.encodeBranch() != EncodeBranch.AUTO ? job.encodeBranch() : m.effectiveEncodeBranch();
        boolean mkldnn = job.engine() == MlhConfig.Engine.MKLDNN;
        if (gates && m.effectiveMohMode() == MlhConfig.MohMode.NONE) {
            throw new ConfigError(
                    "mlh.jobs.encode.gates",
                    "the model at " + modelPath + " has no MoH gates (method "
                            + m.method().configName() + ", moh.mode "
                            + m.effectiveMohMode().configName() + ")");
        }
        if (gates && mkldnn)
            throw new ConfigError(
                    "mlh.jobs.encode.gates", "reads the gate layers of the plain graph: use train.engine = mklblas");
        if (int8) {
            if (!mkldnn)
                throw new ConfigError(precision.fullName(), "int8 runs on MKL-DNN: set mlh.train.engine = mkldnn");
            // where the network runs here (local master, the service) the CPU is checked now; executors
            // elsewhere check their own before their first pass
            String why = Int8Inference.unavailable();
            if (why != null && spark.sparkContext().isLocal()) throw new ConfigError(precision.fullName(), why);
            if (bundle.int8Scales == null)
                throw new ConfigError(
                        precision.fullName(),
                        "int8 needs a calibrated model bundle and " + modelPath + " has no "
                                + ModelBundle.INT8_SCALES + ": calibrate it (mlh-calibrate) and give its output as"
                                + " paths.model");
        }
        Settings settings = new Settings(
                m.bits(),
                branch == EncodeBranch.PAIRWISE ? MlhNet.PAIRWISE_OUTPUT : MlhNet.CENTRE_OUTPUT,
                extras,
                false);
        ExecutorInference inference = new ExecutorInference(
                spark.sparkContext(), bundle.net, Framing.of(bundle), batch, mkldnn, int8 ? bundle.int8Scales : null);
        return new ImageEncoder(
                inference,
                settings,
                new CodeTable.Provenance(bundle.centres.fingerprint(), branch.configName()),
                m.bits() + " bits (" + branch.configName() + " branch" + (int8 ? ", int8" : "") + ")");
    }

    /** "64 bits (centre branch)" */
    public String describe() {
        return description;
    }

    public int bits() {
        return settings.bits;
    }

    /** What the codes can be ranked against. */
    public CodeTable.Provenance provenance() {
        return provenance;
    }

    /** A copy of the network, sharing the weights, for {@link #encodeHere} on one thread at a time. */
    public AbstractModule<Activity, Activity, Float> network() {
        return inference.net();
    }

    /**
     * The codes of up to a batch of images (rows with the shard table's image columns, read by name)
     * on the calling thread, with a network of {@link #network()}: the query service's encoding.
     */
    public PackedCodes encodeHere(AbstractModule<Activity, Activity, Float> net, List<Row> images) {
        return codes(inference.forward(net, images), images.size());
    }

    /** An image row decoded and framed as the network's input: the first half of {@link #encodePixels}. */
    public float[] pixels(Row image) {
        return inference.pixels(image);
    }

    /**
     * The codes of up to a batch of images framed by {@link #pixels}, as {@link #encodeHere}, and their int8
     * continuous codes when this encoder carries them ({@link #int8()}; else null).
     */
    public Codes encodePixels(AbstractModule<Activity, Activity, Float> net, List<float[]> images) {
        int n = images.size();
        float[] u = ExecutorInference.firstRows(
                BigDL.tensorAt(inference.forwardPixels(net, images), settings.outputIndex), n);
        return new Codes(
                PackedCodes.fromSigns(u, n, settings.bits),
                settings.continuousInt8 ? Int8Codes.fromContinuous(u, n, settings.bits) : null);
    }

    /** A batch's sign codes and int8 continuous codes (null unless asked for). */
    public static final class Codes {
        public final PackedCodes signs;
        public final Int8Codes int8;

        Codes(PackedCodes signs, Int8Codes int8) {
            this.signs = signs;
            this.int8 = int8;
        }
    }

    /** Whether the code rows carry the int8 continuous code ({@link CodeTable#CONTINUOUS_INT8}). */
    public boolean int8() {
        return settings.continuousInt8;
    }

    /** The images a forward pass takes at most. */
    public int batch() {
        return inference.batch;
    }

    private PackedCodes codes(Table out, int count) {
        float[] flat = ExecutorInference.firstRows(BigDL.tensorAt(out, settings.outputIndex), count);
        return PackedCodes.fromSigns(flat, count, settings.bits);
    }

    /** The code table's schema for what this encoder writes. */
    public StructType schema() {
        return CodeTable.schema(settings.extras, provenance);
    }

    /** The code rows of {@code images} (id, split, labels and the image columns), one per image, counted by {@code progress}. */
    public Dataset<Row> codes(SparkSession spark, Dataset<Row> images, Progress progress) {
        return codes(spark, images, progress, false);
    }

    /** The same, with {@code withSource}: the image's {@code source} (its path) after the code table's columns. */
    public Dataset<Row> codes(SparkSession spark, Dataset<Row> images, Progress progress, boolean withSource) {
        Settings rows = withSource ? settings.withSource() : settings;
        StructType schema = withSource ? schema().add("source", DataTypes.StringType, false) : schema();
        List<String> columns = new ArrayList<>(
                Arrays.asList("id", "split", "labels", "image", "format", "height", "width", "channels"));
        if (withSource) columns.add("source");
        return spark.createDataFrame(
                progress.counted(images.selectExpr(columns.toArray(new String[0]))
                                .toJavaRDD())
                        .mapPartitions(new EncodePartition(inference, rows)),
                schema);
    }

    /** What the code rows hold, as plain serialisable values. */
    private static final class Settings implements Serializable {
        private static final long serialVersionUID = 1L;
        final int bits, outputIndex;
        final EnumSet<CodeTable.Extra> extras;
        final boolean continuous, continuousInt8, gates, source;

        Settings(int bits, int outputIndex, Set<CodeTable.Extra> extras, boolean source) {
            this.bits = bits;
            this.outputIndex = outputIndex;
            this.extras = extras.isEmpty() ? EnumSet.noneOf(CodeTable.Extra.class) : EnumSet.copyOf(extras);
            this.continuous = extras.contains(CodeTable.Extra.CONTINUOUS);
            this.continuousInt8 = extras.contains(CodeTable.Extra.CONTINUOUS_INT8);
            this.gates = extras.contains(CodeTable.Extra.GATES);
            this.source = source;
        }

        Settings withSource() {
            return new Settings(bits, outputIndex, extras, true);
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
        private Iterator<Row> ready = Collections.emptyIterator();

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
            if (!hasNext()) throw new NoSuchElementException();
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
                List<Object> values = new ArrayList<>(
                        Arrays.<Object>asList(r.<Long>getAs("id"), r.<String>getAs("split"), labels, s.bits, words));
                if (s.continuous) values.add(Arrays.copyOfRange(flat, i * s.bits, (i + 1) * s.bits));
                if (s.continuousInt8) values.add(Int8Codes.quantize(flat, i * s.bits, s.bits));
                if (s.gates) {
                    values.add(gateCentre[i]);
                    values.add(gatePairwise[i]);
                }
                if (s.source) values.add(r.<String>getAs("source"));
                out.add(RowFactory.create(values.toArray()));
            }
            return out;
        }

        /** The softmax gate of one branch from the last forward pass: a row of K weights per image. */
        @SuppressWarnings("unchecked")
        private float[][] gateWeights(String branch) {
            String layer = branch + MixtureOfHashExperts.GATE_WEIGHTS;
            scala.Option<AbstractModule<Activity, Activity, Float>> gate = net.apply(layer);
            if (gate.isEmpty()) throw new IllegalStateException("the model has no layer " + layer);
            float[][] g = BigDL.toMatrix((Tensor<Float>) gate.get().output());
            return g.length == batch.size() ? g : Arrays.copyOf(g, batch.size());
        }
    }
}
