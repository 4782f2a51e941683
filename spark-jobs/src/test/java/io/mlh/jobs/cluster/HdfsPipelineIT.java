package io.mlh.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline against a real HDFS (a name node and a data node on loopback) for everything it reads and
 * writes: the images, the shard table, the checkpoints a resumed run continues from, the model, the
 * code table and the report. The jobs go in through Spark's submit entry point on local[2].
 */
class HdfsPipelineIT {

    @Test
    void imagesShardsCheckpointsModelCodesAndReportLiveOnHdfs(@TempDir Path dir) throws Exception {
        Path images = CifarSubset.extract(dir.resolve("images"), "00[0-1]*"); // 20 JPEGs a class
        try (MiniHdfs hdfs = new MiniHdfs(dir.resolve("hdfs"))) {
            String root = hdfs.uri() + "/mlh";
            hdfs.fs("-mkdir", "-p", root + "/images");
            hdfs.fs("-put", images.resolve("cifar10").toString(), root + "/images/");
            List<String> conf = Arrays.asList(
                    "-",
                    "classes=10",
                    "bits=16",
                    "model.input-channels=3",
                    "model.input-size=32",
                    "data.source=folder",
                    "data.root=" + root + "/images/cifar10",
                    "data.folder-split=train",
                    "data.queries-per-class=5",
                    "data.train-per-class=10",
                    "data.shards=2",
                    "data.mean=[0.49,0.48,0.45]",
                    "data.std=[0.25,0.24,0.26]",
                    "train.batch-size=20",
                    "paths.shards=" + root + "/out/shards",
                    "paths.model=" + root + "/out/model",
                    "paths.codes=" + root + "/out/codes",
                    "paths.report=" + root + "/out/report");

            List<String> spark = hdfs.sparkConf();
            submit(dir, spark, "shard", "io.mlh.jobs.shard.ShardJob", "mlh-train.jar", conf);
            submit(dir, spark, "train", null, "mlh-train.jar", with(conf, "train.epochs=1"));
            submit(
                    dir,
                    spark,
                    "train-resumed",
                    null,
                    "mlh-train.jar",
                    with(conf, "train.epochs=2", "jobs.train.resume=true"));
            submit(dir, spark, "encode", null, "mlh-encode.jar", conf);
            submit(dir, spark, "evaluate", "io.mlh.jobs.evaluate.EvaluateJob", "mlh-encode.jar", conf);

            String resumed = new String(Files.readAllBytes(dir.resolve("train-resumed.log")), StandardCharsets.UTF_8);
            assertTrue(
                    resumed.contains("resuming after epoch 1 from " + root + "/out/model-checkpoints"),
                    "not resumed from HDFS");
            assertTrue(resumed.contains("epoch 2/2"), "epoch 2 was not trained");
            assertFalse(resumed.contains("epoch 1/2"), "epoch 1 was trained again");

            String listing = hdfs.fs("-ls", "-R", root + "/out");
            for (String committed : new String[] {
                "shards", "model", "model-checkpoints/epoch-1", "model-checkpoints/epoch-2", "codes", "report"
            }) {
                assertTrue(
                        listing.contains(root + "/out/" + committed + "/_MLH_COMMITTED"),
                        committed + " is not committed on HDFS:\n" + listing);
            }
            assertTrue(listing.contains(root + "/out/model/model.bigdl"), listing);
            assertTrue(listing.contains(".parquet"), listing);
            for (String page :
                    new String[] {"report/report.html", "report/pr-curve.png", "report/precision-at-n.png"}) {
                assertTrue(listing.contains(root + "/out/" + page), page + " is not on HDFS:\n" + listing);
            }
            // TensorBoard: one event file per run (first and resumed) in each folder, on HDFS
            for (String folder : new String[] {"train", "validation"}) {
                int files = listing.split(
                                        java.util.regex.Pattern.quote(
                                                root + "/out/model-tensorboard/" + folder + "/bigdl.tfevents."),
                                        -1)
                                .length
                        - 1;
                assertEquals(2, files, folder + " event files on HDFS:\n" + listing);
            }

            JsonNode metrics = new ObjectMapper().readTree(hdfs.fs("-cat", root + "/out/report/metrics.json"));
            assertEquals(16, metrics.path("bits").asInt());
            assertEquals(50, metrics.path("queries").asInt(-1), metrics.toString());
            assertEquals(150, metrics.path("database").asInt(-1), metrics.toString());
            double map = metrics.path("map").asDouble(-1);
            assertTrue(map > 0 && map <= 1, "mAP " + map);
        }
    }

    private static List<String> with(List<String> conf, String... more) {
        List<String> out = new ArrayList<>(conf);
        out.addAll(Arrays.asList(more));
        return out;
    }

    private static void submit(
            Path dir, List<String> sparkConf, String name, String mainClass, String jar, List<String> conf)
            throws Exception {
        List<String> args = new ArrayList<>(sparkConf);
        if (mainClass != null) args.addAll(Arrays.asList("--class", mainClass));
        args.add(Paths.get("target", jar).toAbsolutePath().toString());
        args.addAll(conf);
        Path log = dir.resolve(name + ".log");
        int code = StandaloneCluster.submit("local[2]", log, args);
        assertEquals(0, code, name + " failed; its log: " + log + "\n" + Jvm.tail(log, 40));
    }
}
