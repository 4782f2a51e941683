package io.mlh.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
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
 * model file that does not belong to its metadata is refused.
 */
public final class ModelBundle {
    public static final String MODEL = "model.bigdl", METADATA = "metadata.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final AbstractModule<Activity, Activity, Float> net;
    public final MlhConfig config;
    public final HashCentres centres;
    public final float[] mean, std;
    /** The input square as the model was trained to see it: {@code data.centre-crop} (0: the whole image). */
    public final double centreCrop;

    public ModelBundle(
            AbstractModule<Activity, Activity, Float> net,
            MlhConfig config,
            HashCentres centres,
            float[] mean,
            float[] std,
            double centreCrop) {
        this.net = net;
        this.config = config;
        this.centres = centres;
        this.mean = mean;
        this.std = std;
        this.centreCrop = centreCrop;
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
            try (OutputStream out = fs.create(new Path(staging, METADATA), true)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
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
        AbstractModule<Activity, Activity, Float> net = BigDLFiles.loadModule(
                conf, new Path(root, MODEL), meta.path("model_sha256").asText());
        return new ModelBundle(
                net,
                config,
                centres,
                floats(meta.path("mean")),
                floats(meta.path("std")),
                meta.path("centre_crop").asDouble(0));
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
