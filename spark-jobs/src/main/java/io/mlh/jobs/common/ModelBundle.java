package io.mlh.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mlh.core.bigdl.Int8Scales;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained model as the jobs hand it on: a directory holding {@code model.bigdl} (BigDL's protobuf
 * format) and {@code metadata.json} (the effective config, bits, classes, hash centres, the input's
 * normalisation and framing, and the model file's SHA-256). Written atomically; loading checks the checksum, so a
 * model file that does not belong to its metadata is refused. A calibrated bundle (mlh-calibrate) also
 * holds {@code int8-scales.json}: the int8 scales of its network, the model file's SHA-256 they were
 * measured on (scales of another model are refused) and how they were measured.
 */
public final class ModelBundle {
    public static final String MODEL = "model.bigdl", METADATA = "metadata.json", INT8_SCALES = "int8-scales.json";
    private static final String INT8_FORMAT = "mlh-int8-scales-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final AbstractModule<Activity, Activity, Float> net;
    public final MlhConfig config;
    public final HashCentres centres;
    public final float[] mean, std;
    /** The input square as the model was trained to see it: {@code data.centre-crop} (0: the whole image). */
    public final double centreCrop;
    /** The int8 scales of {@link #net}, or null: a bundle that has not been calibrated. */
    public final Int8Scales int8Scales;
    /** How they were measured (the shard table, seed and sampled ids, the source bundle and its model's SHA-256), or null. */
    public final JsonNode calibration;

    public ModelBundle(
            AbstractModule<Activity, Activity, Float> net,
            MlhConfig config,
            HashCentres centres,
            float[] mean,
            float[] std,
            double centreCrop) {
        this(net, config, centres, mean, std, centreCrop, null, null);
    }

    private ModelBundle(
            AbstractModule<Activity, Activity, Float> net,
            MlhConfig config,
            HashCentres centres,
            float[] mean,
            float[] std,
            double centreCrop,
            Int8Scales int8Scales,
            JsonNode calibration) {
        this.net = net;
        this.config = config;
        this.centres = centres;
        this.mean = mean;
        this.std = std;
        this.centreCrop = centreCrop;
        this.int8Scales = int8Scales;
        this.calibration = calibration;
    }

    /** This bundle with int8 scales measured on its network, and a record of how. */
    public ModelBundle withInt8(Int8Scales scales, JsonNode calibration) {
        return new ModelBundle(net, config, centres, mean, std, centreCrop, scales, calibration);
    }

    /** Writes {@code dir} whole or not at all, claimed on {@code claim}'s terms. */
    public void save(Configuration conf, String dir, boolean overwrite, OutputClaim.Terms claim) throws IOException {
        CommittedOutput.write(conf, dir, overwrite, claim, staging -> {
            FileSystem fs = staging.getFileSystem(conf);
            Path model = new Path(staging, MODEL);
            String sha256 = BigDLFiles.saveModule(conf, net, model);
            ObjectNode meta = JSON.createObjectNode();
            meta.put("format", "mlh-model-1");
            meta.put("method", config.method().configName());
            meta.put("bits", config.bits());
            meta.put("classes", config.classes());
            meta.put("encode_branch", config.effectiveEncodeBranch().configName());
            meta.put("input_channels", config.inputChannels());
            meta.put("input_size", config.inputSize());
            ArrayNode m = meta.putArray("mean"), s = meta.putArray("std");
            for (float v : mean) m.add(v);
            for (float v : std) s.add(v);
            meta.put("centre_crop", centreCrop);
            meta.set("centres", JSON.readTree(centres.toJson()));
            meta.put("config", config.render());
            meta.put("model_sha256", sha256);
            write(fs, new Path(staging, METADATA), meta);
            if (int8Scales != null) {
                ObjectNode int8 = JSON.createObjectNode();
                int8.put("format", INT8_FORMAT);
                int8.put("model_sha256", sha256);
                int8.set("calibration", calibration);
                int8.set("layers", int8Scales.toJson(JSON));
                write(fs, new Path(staging, INT8_SCALES), int8);
            }
            return null;
        });
    }

    public static ModelBundle load(Configuration conf, String dir) throws IOException {
        Path root = CommittedOutput.requireCommitted(conf, dir);
        FileSystem fs = root.getFileSystem(conf);
        JsonNode meta;
        try (InputStream in = fs.open(new Path(root, METADATA))) {
            meta = JSON.readTree(in);
        }
        MlhConfig config = MlhConfig.load(
                modelSections(ConfigFactory.parseString(meta.path("config").asText())));
        HashCentres centres = HashCentres.fromJson(JSON.writeValueAsString(meta.path("centres")));
        String sha256 = meta.path("model_sha256").asText();
        AbstractModule<Activity, Activity, Float> net = BigDLFiles.loadModule(conf, new Path(root, MODEL), sha256);
        Int8Scales scales = null;
        JsonNode calibration = null;
        Path int8 = new Path(root, INT8_SCALES);
        if (fs.exists(int8)) {
            JsonNode s;
            try (InputStream in = fs.open(int8)) {
                s = JSON.readTree(in);
            }
            if (!INT8_FORMAT.equals(s.path("format").asText()))
                throw new IOException(int8 + " is not in format " + INT8_FORMAT + ": " + s.path("format"));
            if (!sha256.equals(s.path("model_sha256").asText()))
                throw new IOException(int8 + " holds the int8 scales of another model (model_sha256 "
                        + s.path("model_sha256").asText() + "; this bundle's " + MODEL + " is " + sha256
                        + "): calibrate this bundle (mlh-calibrate)");
            scales = Int8Scales.fromJson(s.path("layers"));
            calibration = s.path("calibration");
        }
        return new ModelBundle(
                net,
                config,
                centres,
                floats(meta.path("mean")),
                floats(meta.path("std")),
                meta.path("centre_crop").asDouble(0),
                scales,
                calibration);
    }

    private static void write(FileSystem fs, Path file, JsonNode json) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        }
    }

    /**
     * The stored configuration without the sections that describe the run rather than the model (its
     * jobs' settings, paths and Spark master): a bundle saved by a release whose job keys were renamed
     * or removed since still loads, and what uses it takes those settings from its own command line.
     */
    static Config modelSections(Config stored) {
        for (String run : RUN_SECTIONS) stored = stored.withoutPath(MlhConfig.ROOT + "." + run);
        return stored;
    }

    private static final String[] RUN_SECTIONS = {"jobs", "paths", "spark"};

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) a.get(i).asDouble();
        return f;
    }
}
