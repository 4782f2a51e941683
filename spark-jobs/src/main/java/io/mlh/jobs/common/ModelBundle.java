package io.mlh.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.intel.analytics.bigdl.nn.Module$;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.typesafe.config.ConfigFactory;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained model as the jobs hand it on: a directory holding {@code model.bigdl} (BigDL's protobuf
 * format) and {@code metadata.json} (the effective config, bits, classes, hash centres, input
 * normalisation and the model file's SHA-256). Written atomically; loading checks the checksum, so a
 * model file that does not belong to its metadata is refused.
 */
public final class ModelBundle {
    public static final String MODEL = "model.bigdl", METADATA = "metadata.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final AbstractModule<Activity, Activity, Float> net;
    public final MlhConfig config;
    public final HashCentres centres;
    public final float[] mean, std;

    public ModelBundle(AbstractModule<Activity, Activity, Float> net, MlhConfig config, HashCentres centres, float[] mean, float[] std) {
        this.net = net;
        this.config = config;
        this.centres = centres;
        this.mean = mean;
        this.std = std;
    }

    /** Writes {@code dir} whole or not at all. */
    public void save(Configuration conf, String dir, boolean overwrite) throws IOException {
        Path staging = CommittedOutput.stage(conf, dir, overwrite);
        try {
            FileSystem fs = staging.getFileSystem(conf);
            Path model = new Path(staging, MODEL);
            net.saveModule(model.toString(), null, true);
            ObjectNode meta = JSON.createObjectNode();
            meta.put("format", "mlh-model-1");
            meta.put("method", MlhConfig.configName(config.method()));
            meta.put("bits", config.bits());
            meta.put("classes", config.classes());
            meta.put("encode_branch", MlhConfig.configName(config.effectiveEncodeBranch()));
            meta.put("input_channels", config.inputChannels());
            meta.put("input_size", config.inputSize());
            ArrayNode m = meta.putArray("mean"), s = meta.putArray("std");
            for (float v : mean) m.add(v);
            for (float v : std) s.add(v);
            meta.set("centres", JSON.readTree(centres.toJson()));
            meta.put("config", config.render());
            meta.put("model_sha256", sha256(fs, model));
            try (OutputStream out = fs.create(new Path(staging, METADATA), true)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
            }
            CommittedOutput.commit(conf, staging, dir);
        } catch (IOException | RuntimeException e) {
            CommittedOutput.abandon(conf, staging);
            throw e;
        }
    }

    public static ModelBundle load(Configuration conf, String dir) throws IOException {
        Path root = CommittedOutput.requireCommitted(conf, dir);
        FileSystem fs = root.getFileSystem(conf);
        JsonNode meta;
        try (InputStream in = fs.open(new Path(root, METADATA))) {
            meta = JSON.readTree(in);
        }
        Path model = new Path(root, MODEL);
        String expected = meta.path("model_sha256").asText(), actual = sha256(fs, model);
        if (!expected.equals(actual)) {
            throw new IOException("model " + model + " has SHA-256 " + actual + " but its metadata says " + expected
                    + ": the model file does not belong to this metadata");
        }
        MlhConfig config = MlhConfig.load(ConfigFactory.parseString(meta.path("config").asText()));
        HashCentres centres = HashCentres.fromJson(JSON.writeValueAsString(meta.path("centres")));
        AbstractModule<Activity, Activity, Float> net = Module$.MODULE$.loadModule(model.toString(), null, BigDL.FLOAT, BigDL.NUM);
        return new ModelBundle(net, config, centres, floats(meta.path("mean")), floats(meta.path("std")));
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) a.get(i).asDouble();
        return f;
    }

    static String sha256(FileSystem fs, Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(fs.open(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // reading feeds the digest
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : in.getMessageDigest().digest()) hex.append(String.format("%02x", b));
            return hex.toString();
        } catch (org.apache.hadoop.fs.ChecksumException e) {
            throw new IOException("model file " + file + " is corrupt: its file-system checksum fails", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

}
