package io.mlh.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.Int8Inference;
import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.common.BigDLFiles;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.ImageCodec;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import io.mlh.jobs.testdata.DerivedListSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 224-px path end to end, through the jobs' main classes as {@code spark-submit} runs them on
 * {@code local[2]}: the derived ImageNet-style list-file set (enlarged CIFAR-10 JPEGs of 160-500 px, with
 * its odd images) is sharded, ResNet-18 trains on MKL-DNN for 2 epochs with random resized crops, the
 * corpus is encoded on MKL-DNN with the centre crop, and evaluated; then the bundle is calibrated and the
 * corpus encoded again in int8. Checked: the odd images' outcomes, the batch-norm statistics in the saved
 * model, that the MKL-DNN codes are the plain graph's signs, and that the int8 codes mostly are the fp32
 * codes (on a CPU without AVX512-VNNI: int8 refused with the reason).
 */
class FullSizePipelineIT {

    @Test
    void shardTrainEncodeEvaluateResNet18OnMklDnn(@TempDir Path dir) throws Exception {
        Path cifar = CifarSubset.extract(dir.resolve("cifar"), "000[0-9].jpg").resolve("cifar10"); // 10 JPEGs a class
        new DerivedListSet(cifar, dir.resolve("derived"), 2, 8, 6, 42).writeImageNetStyle(true);
        Path images = dir.resolve("derived/imagenet"), out = dir.resolve("out");
        List<String> conf = Arrays.asList(
                "-",
                "classes=10",
                "bits=16",
                "model.backbone=resnet-18",
                "model.input-size=224",
                "train.engine=mkldnn",
                "data.source=list",
                "data.root=" + images,
                "data.on-bad-record=skip",
                "data.shards=2",
                "data.centre-crop=0.875",
                "data.augment.flip=true",
                "data.augment.resized-crop=true",
                "train.epochs=2",
                "train.batch-size=16",
                "jobs.train.validation-queries=10",
                "jobs.train.validation-database=40",
                "jobs.encode.batch-size=16",
                "paths.shards=" + out.resolve("shards"),
                "paths.model=" + out.resolve("model"),
                "paths.codes=" + out.resolve("codes"),
                "paths.report=" + out.resolve("report"));
        Path jars = Paths.get("target").toAbsolutePath();
        run(dir, "shard", "io.mlh.jobs.shard.ShardJob", jars.resolve("mlh-train.jar"), conf);
        run(dir, "train", null, jars.resolve("mlh-train.jar"), conf);
        run(dir, "encode", null, jars.resolve("mlh-encode.jar"), conf);
        run(dir, "evaluate", "io.mlh.jobs.evaluate.EvaluateJob", jars.resolve("mlh-encode.jar"), conf);
        // int8: the bundle calibrated on 32 training images, the corpus encoded with it on MKL-DNN
        List<String> int8 = new ArrayList<>(conf);
        int8.add("jobs.calibrate.images=32");
        run(dir, "calibrate", "io.mlh.jobs.calibrate.CalibrateJob", jars.resolve("mlh-encode.jar"), int8);
        int8.addAll(Arrays.asList(
                "paths.model=" + out.resolve("model-int8"),
                "paths.codes=" + out.resolve("codes-int8"),
                "jobs.encode.precision=int8"));
        String noVnni = Int8Inference.cpuUnsupported(Paths.get("/proc/cpuinfo"));
        int int8Status = submit("encode-int8", null, jars.resolve("mlh-encode.jar"), int8);
        if (noVnni != null) { // refused with the reason, nothing written
            assertEquals(2, int8Status);
            String log = new String(Files.readAllBytes(logOf("encode-int8")), "UTF-8");
            assertTrue(log.contains("mlh-encode: ") && log.contains(noVnni), Jvm.tail(logOf("encode-int8"), 5));
            assertTrue(Files.notExists(out.resolve("codes-int8")));
        } else {
            assertEquals(0, int8Status, "encode-int8 failed: " + Jvm.tail(logOf("encode-int8"), 20));
        }

        String trainLog = new String(Files.readAllBytes(Paths.get("target", "full-size-it", "train.log")), "UTF-8");
        assertTrue(trainLog.contains("epoch 2/2"), "no per-epoch log line for epoch 2");
        JsonNode metrics = new ObjectMapper()
                .readTree(out.resolve("report").resolve("metrics.json").toFile());
        assertEquals(20, metrics.path("queries").asInt(-1), metrics.toString());
        assertEquals(
                80 + 4,
                metrics.path("database").asInt(-1),
                "80 database images and the 4 odd ones that decode: " + metrics);
        double map = metrics.path("map").asDouble(-1);
        assertTrue(map > 0 && map <= 1, "mAP " + map);

        SparkSession spark =
                Spark.start("full-size-it", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        try {
            // the documented outcomes of the odd images: truncated and noise rejected with their reason,
            // grey, CMYK, PNG and the image smaller than any crop sharded as they are
            // (a list-file record's reject is named by its line; the reason names the image)
            List<String> reasons = new ArrayList<>();
            for (Row r : spark.read()
                    .parquet(ShardTable.rejectsPath(out.resolve("shards").toString()))
                    .orderBy("source")
                    .collectAsList()) {
                assertTrue(r.getString(0).matches(".*/database\\.txt:\\d+"), r.toString());
                reasons.add(r.getString(1));
            }
            assertEquals(2, reasons.size(), reasons.toString());
            assertTrue(
                    reasons.get(0).startsWith("truncated JPEG")
                            && reasons.get(0).contains(DerivedListSet.TRUNCATED),
                    reasons.toString());
            assertTrue(reasons.get(1).contains(DerivedListSet.NOISE), reasons.toString());
            Map<String, Row> shards = new HashMap<>();
            for (Row r :
                    ShardTable.read(spark, out.resolve("shards").toString()).collectAsList()) {
                shards.put(r.getAs("source").toString().replaceAll(".*/imagenet/", ""), r);
            }
            assertEquals("jpeg 240x300x1", shape(shards.get(DerivedListSet.GREY)));
            assertEquals("jpeg 240x300x3", shape(shards.get(DerivedListSet.CMYK)));
            assertEquals("png 240x300x3", shape(shards.get(DerivedListSet.PNG)));
            assertEquals("jpeg 16x20x3", shape(shards.get(DerivedListSet.TINY)));
            byte[] stored = shards.get(DerivedListSet.CMYK).getAs("image");
            assertTrue(
                    Arrays.equals(Files.readAllBytes(images.resolve(DerivedListSet.CMYK)), stored),
                    "the shard keeps the file's bytes");

            // the saved model carries batch-norm statistics learned on MKL-DNN (not BigDL's initial 0 / 1)
            ModelBundle bundle = ModelBundle.load(
                    spark.sparkContext().hadoopConfiguration(),
                    out.resolve("model").toString());
            assertEquals(0.875, bundle.centreCrop);
            Tensor<Float>[] stats = bundle.net.getExtraParameter();
            assertEquals(2 * 20, stats.length, "resnet-18 has 20 batch norms, each with a running mean and variance");
            assertTrue(
                    maxAbs(stats[0]) > 1e-3 && maxAbsFromOne(stats[1]) > 1e-3,
                    "the first batch norm's statistics are the initial ones");
            // and so does the last checkpoint, which a resumed run starts from
            Path last = out.resolve("model-checkpoints").resolve("epoch-2");
            String sha = CommittedOutput.verified(spark.sparkContext().hadoopConfiguration(), last.toString())
                    .sha256("model.bigdl");
            Tensor<Float>[] resumed = BigDLFiles.loadModule(
                            spark.sparkContext().hadoopConfiguration(),
                            new org.apache.hadoop.fs.Path(
                                    last.resolve("model.bigdl").toString()),
                            sha)
                    .getExtraParameter();
            for (int i = 0; i < stats.length; i++)
                assertEquals(stats[i], resumed[i], "batch-norm statistics " + i + " of the checkpoint");

            // the MKL-DNN codes of the queries equal the signs of the saved plain graph, run here on MKL BLAS
            List<Row> queries = new ArrayList<>();
            for (Row r : shards.values()) if (r.getAs("split").equals(Split.QUERY.value())) queries.add(r);
            assertEquals(20, queries.size());
            int n = queries.size(), per = 3 * 224 * 224;
            float[] px = new float[n * per];
            for (int i = 0; i < n; i++) {
                Row r = queries.get(i);
                int h = r.getAs("height"), w = r.getAs("width");
                float[] one = ImageCodec.toTensorData(
                        r.getAs("format"),
                        r.getAs("image"),
                        h,
                        w,
                        r.getAs("channels"),
                        224,
                        3,
                        bundle.mean,
                        bundle.std,
                        ImageCodec.Region.centre(h, w, bundle.centreCrop));
                System.arraycopy(one, 0, px, i * per, per);
            }
            bundle.net.evaluate();
            Table u = bundle.net.forward(BigDL.tensor(px, n, 3, 224, 224)).toTable();
            PackedCodes plain = PackedCodes.fromSigns(BigDL.toArray(BigDL.tensorAt(u, 1)), n, 16);
            Map<Long, long[]> encoded = codes(spark, out.resolve("codes"));
            int differ = 0;
            for (int i = 0; i < n; i++) {
                long[] word = encoded.get((Long) queries.get(i).getAs("id"));
                differ += plain.hamming(i, PackedCodes.of(word, 1, 16), 0);
            }
            // MKL-DNN and MKL BLAS sum in other orders: only a value within rounding of 0 may flip its sign
            assertTrue(differ <= n * 16 / 100, differ + " of " + n * 16 + " code bits differ between the engines");

            if (noVnni == null) {
                // the int8 codes of every row against the fp32 MKL-DNN codes; of the queries', the flipped
                // bits' continuous values in the plain graph
                Map<Long, long[]> int8Codes = codes(spark, out.resolve("codes-int8"));
                assertEquals(encoded.keySet(), int8Codes.keySet());
                int flipped = 0;
                for (Map.Entry<Long, long[]> e : encoded.entrySet())
                    flipped += Long.bitCount(e.getValue()[0] ^ int8Codes.get(e.getKey())[0]);
                float[] values = BigDL.toArray(BigDL.tensorAt(u, 1));
                float largest = 0;
                for (int i = 0; i < n; i++) {
                    long x = plain.code(i)[0]
                            ^ int8Codes.get((Long) queries.get(i).getAs("id"))[0];
                    for (int b = 0; b < 16; b++)
                        if ((x >>> b & 1) != 0) largest = Math.max(largest, Math.abs(values[i * 16 + b]));
                }
                double equal = 1 - flipped / (16.0 * encoded.size());
                System.out.printf(
                        "int8: %.4f of %d code bits equal to fp32; largest |u| of a flipped query bit %.3f%n",
                        equal, 16 * encoded.size(), largest);
                // ResNet-18's residual sums fused into int8 convolutions. A broken int8 path agrees on about
                // half the bits (fused in the wrong order: 72%). Two epochs on 80 images leave a network int8
                // does not always follow closely: 99.4% equal (flips at |u| <= 0.03) in one run, 98.0% with a
                // saturated query bit flipped in another (its loss 26, L_M 0); the agreement bound on a trained
                // network is MlhTrainingTest's
                assertTrue(equal >= 0.9, "int8 codes share " + equal + " of their bits with fp32");
            }
        } finally {
            spark.stop();
        }
    }

    private static String shape(Row r) {
        return r.getAs("format") + " " + r.getAs("height") + "x" + r.getAs("width") + "x" + r.getAs("channels");
    }

    private static double maxAbs(Tensor<Float> t) {
        double m = 0;
        for (float v : BigDL.toArray(t)) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double maxAbsFromOne(Tensor<Float> t) {
        double m = 0;
        for (float v : BigDL.toArray(t)) m = Math.max(m, Math.abs(v - 1));
        return m;
    }

    private static Map<Long, long[]> codes(SparkSession spark, Path table) {
        Map<Long, long[]> codes = new HashMap<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList()) {
            List<Long> words = r.getList(r.fieldIndex("code"));
            codes.put(r.getAs("id"), words.stream().mapToLong(Long::longValue).toArray());
        }
        return codes;
    }

    /** The log of a job run by {@link #submit}: it outlives the test's temporary directory, to read after a failure. */
    private static Path logOf(String name) {
        return Paths.get("target", "full-size-it", name + ".log").toAbsolutePath();
    }

    /** Runs a job as spark-submit does on local[2]; its exit status. */
    private static int submit(String name, String mainClass, Path jar, List<String> conf) throws Exception {
        List<String> args = new ArrayList<>();
        if (mainClass != null) args.addAll(Arrays.asList("--class", mainClass));
        args.add(jar.toString());
        args.addAll(conf);
        Path log = logOf(name);
        Files.createDirectories(log.getParent());
        // a ResNet-18 driver at 224 px holds the plain graph, its MKL-DNN copy and replica and the probe batch
        return StandaloneCluster.submit("local[2]", "-Xmx5g", log, args);
    }

    private static void run(Path dir, String name, String mainClass, Path jar, List<String> conf) throws Exception {
        int code = submit(name, mainClass, jar, conf);
        Path log = logOf(name);
        if (code != 0) {
            String failure = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("Exception") || l.contains("Error"))
                    .limit(8)
                    .collect(java.util.stream.Collectors.joining("\n"));
            assertEquals(0, code, name + " failed; its log: " + log + "\n" + failure + "\n...\n" + Jvm.tail(log, 20));
        }
    }
}
