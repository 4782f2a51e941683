package io.mlh.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.model.pretrained.RandomResNetCheckpoint;
import io.mlh.core.model.pretrained.TorchCheckpointWriter;
import io.mlh.jobs.common.BigDLFiles;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.serve.Http;
import io.mlh.jobs.serve.SearchServer;
import io.mlh.jobs.testdata.DerivedListSet;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning from a torchvision checkpoint through the jobs, as {@code spark-submit} runs them on
 * {@code local[2]} with MKL-DNN: a resnet-18 checkpoint written here (PyTorch's zip format, wrapped with
 * "module." prefixes as data-parallel training saves it) starts the train job
 * on 120 derived 224-px images (20 queries beside them); the initial checkpoint holds its tensors; the loss falls over two epochs; a
 * resumed third epoch continues from the second's checkpoint; and the codes encode, search and serve (an
 * uploaded image answered with the encode job's code for it).
 */
class PretrainedFineTuneIT {

    @Test
    void aTorchvisionCheckpointFineTunesAndItsCodesEncodeSearchAndServe(@TempDir Path dir) throws Exception {
        Path cifar =
                CifarSubset.extract(dir.resolve("cifar"), "00[01][0-9].jpg").resolve("cifar10"); // 20 a class
        new DerivedListSet(cifar, dir.resolve("derived"), 2, 12, 12, 7).writeImageNetStyle(false);
        Path images = dir.resolve("derived/imagenet"), out = dir.resolve("out");
        Path checkpoint = dir.resolve("resnet18-wrapped.pth");
        Map<String, TorchCheckpointWriter.Tensor> weights = RandomResNetCheckpoint.stateDict(18, 18, false);
        Map<String, TorchCheckpointWriter.Tensor> wrapped = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, TorchCheckpointWriter.Tensor> e : weights.entrySet())
            wrapped.put("module." + e.getKey(), e.getValue());
        TorchCheckpointWriter.write(checkpoint, "checkpoint", wrapped);
        List<String> conf = new ArrayList<>(Arrays.asList(
                "-",
                "classes=10",
                "bits=16",
                "model.backbone=resnet-18",
                "model.input-size=224",
                "model.pretrained=" + checkpoint.toUri(),
                "train.backbone-lr-multiplier=0.1",
                "train.engine=mkldnn",
                "data.source=list",
                "data.root=" + images,
                "data.centre-crop=0.875",
                "data.augment.flip=true",
                "train.batch-size=16",
                "jobs.train.validation-queries=10",
                "jobs.train.validation-database=40",
                "jobs.encode.batch-size=16",
                "jobs.search.k=5",
                "paths.shards=" + out.resolve("shards"),
                "paths.model=" + out.resolve("model"),
                "paths.codes=" + out.resolve("codes"),
                "paths.neighbours=" + out.resolve("neighbours"),
                "paths.report=" + out.resolve("report")));
        Path jars = Paths.get("target").toAbsolutePath();
        run("shard", "io.mlh.jobs.shard.ShardJob", jars.resolve("mlh-train.jar"), conf);
        String trained = run("train", null, jars.resolve("mlh-train.jar"), with(conf, "train.epochs=2"));
        long copied = weights.keySet().stream()
                .filter(k -> !k.startsWith("fc.") && !k.endsWith(".num_batches_tracked"))
                .count();
        assertTrue(
                trained.contains("copied " + copied + " tensors of " + checkpoint.toUri() + " into resnet-18"),
                "the train job does not say it loaded the checkpoint");
        List<Double> losses = epochLosses(trained);
        assertEquals(2, losses.size(), trained);
        assertTrue(losses.get(1) < losses.get(0), "the loss did not fall: " + losses);

        String resumed = run(
                "train-resume",
                null,
                jars.resolve("mlh-train.jar"),
                with(conf, "train.epochs=3", "jobs.train.resume=true"));
        assertTrue(resumed.contains("resuming after epoch 2 from "), resumed);
        assertEquals(1, epochLosses(resumed).size(), "the resumed run trains epoch 3 alone");
        run("encode", null, jars.resolve("mlh-encode.jar"), conf);
        run("search", "io.mlh.jobs.search.SearchJob", jars.resolve("mlh-encode.jar"), conf);

        // this JVM's BigDL engine is the default one (other ITs ran here before): it only reads the outputs
        SparkSession spark =
                Spark.start("pretrained-it", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        Map<Long, String> codes = new HashMap<>();
        Row query;
        try {
            org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
            // the run started from the checkpoint: its epoch-0 checkpoint holds the torchvision tensors
            Path initial = out.resolve("model-checkpoints").resolve("epoch-0");
            AbstractModule<Activity, Activity, Float> start = BigDLFiles.loadModule(
                    hadoop,
                    new org.apache.hadoop.fs.Path(initial.resolve("model.bigdl").toString()),
                    CommittedOutput.verified(hadoop, initial.toString()).sha256("model.bigdl"));
            for (String layer : new String[] {"conv1", "layer4.1.conv2"}) {
                Tensor<Float> w = start.apply(layer).get().parameters()._1()[0];
                assertArrayEquals(weights.get(layer + ".weight").values, BigDL.toArray(w), layer);
            }
            assertEquals(
                    10L * 12,
                    spark.read()
                            .parquet(out.resolve("codes").toString())
                            .filter("split = 'database'")
                            .count(),
                    "every database image encoded");
            assertEquals(
                    20L * 5,
                    spark.read().parquet(out.resolve("neighbours").toString()).count(),
                    "5 neighbours a query");
            for (Row r : spark.read()
                    .parquet(out.resolve("codes").toString())
                    .select("id", "code")
                    .collectAsList())
                codes.put(
                        r.getLong(0),
                        SearchServer.hex(new long[] {r.<Long>getList(1).get(0)}));
            query = spark.read()
                    .parquet(out.resolve("shards").toString())
                    .filter("split = 'query' and format = 'jpeg'")
                    .orderBy("id")
                    .select("id", "image")
                    .first();
        } finally {
            spark.stop();
        }

        // the query service as users start it: its own JVM through spark-submit, the model on MKL-DNN
        Path serveLog = Paths.get("target", "pretrained-it", "serve.log").toAbsolutePath();
        Process serve = StandaloneCluster.start(
                "local[2]",
                serveLog,
                Faults.submitArgs("io.mlh.jobs.serve.SearchServer", "mlh-encode.jar", with(conf, "jobs.serve.port=0")));
        try {
            Faults.await("the service's address", serve, serveLog, 600, () -> address(serveLog) != null);
            Http.Response r = Http.request(address(serveLog), "POST", "search?k=5", "image/jpeg", query.getAs("image"));
            assertEquals(200, r.status, r.body);
            JsonNode answer = new ObjectMapper().readTree(r.body);
            assertEquals(codes.get(query.getLong(0)), answer.get("code").asText(), "the encode job's code");
            assertEquals(5, answer.get("neighbours").size(), r.body);
        } finally {
            serve.destroy();
            serve.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The address the service printed once it answers ("mlh-serve: http://..."), or null before. */
    private static URI address(Path log) {
        try {
            for (String line : Files.readAllLines(log))
                if (line.startsWith("mlh-serve: http")) return URI.create(line.substring("mlh-serve: ".length()));
            return null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Each epoch's mean loss L, in the order the train log gives them ("epoch N/M: L=..."). */
    private static List<Double> epochLosses(String log) {
        List<Double> l = new ArrayList<>();
        Matcher m = Pattern.compile("epoch \\d+/\\d+: L=([0-9.]+)").matcher(log);
        while (m.find()) l.add(Double.parseDouble(m.group(1)));
        return l;
    }

    private static List<String> with(List<String> conf, String... more) {
        List<String> c = new ArrayList<>(conf);
        c.addAll(Arrays.asList(more));
        return c;
    }

    /** Runs one job through spark-submit's entry point; returns its log. */
    private static String run(String name, String mainClass, Path jar, List<String> conf) throws Exception {
        List<String> args = new ArrayList<>();
        if (mainClass != null) args.addAll(Arrays.asList("--class", mainClass));
        args.add(jar.toString());
        args.addAll(conf);
        Path log = Paths.get("target", "pretrained-it", name + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        int code = StandaloneCluster.submit("local[2]", "-Xmx5g", log, args);
        assertEquals(0, code, name + " failed; its log: " + log + "\n" + Jvm.tail(log, 30));
        return new String(Files.readAllBytes(log), "UTF-8");
    }
}
