package io.mlh.jobs.cluster;

import static io.mlh.jobs.cluster.Faults.SHARD;
import static io.mlh.jobs.cluster.Faults.submitArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Manifest;
import io.mlh.jobs.common.Spark;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage faults on HDFS with three data nodes and replication 2.
 *
 * <ul>
 *   <li>A data node dies while the train job writes a checkpoint, and (after it is replaced) another
 *       while the encode job writes its code table; each time the node killed is the head of the
 *       write pipeline of the output's first block. Both jobs finish; every file they committed reads
 *       back from the surviving replicas with the SHA-256 its manifest recorded at the commit (every
 *       weight, every code), and the code table holds each input row exactly once.
 *   <li>The encode job's output directory runs out of its space quota (HDFS's full disk): the job
 *       fails naming the path and the quota, nothing is left there; with the quota lifted, the same
 *       command commits exactly one table.
 * </ul>
 */
class HdfsFaultIT {
    private static final int IMAGES = 4000;

    @Test
    void trainAndEncodeLoseADataNodeMidWriteAndEveryByteReadsBack(@TempDir Path dir) throws Exception {
        Path images = CifarSubset.extract(dir.resolve("images"), "0[0-3]*"); // 400 JPEGs a class
        Path copy = dir.resolve("read-back");
        try (MiniHdfs hdfs = new MiniHdfs(dir.resolve("hdfs"), 3, 2)) {
            String out = hdfs.uri() + "/mlh/out";
            List<String> conf = Faults.with(
                    Faults.conf(images, out, 2),
                    "bits=64",
                    "data.queries-per-class=20",
                    "data.train-per-class=20",
                    "jobs.encode.continuous=true"); // 256 bytes more a row: the table spans many blocks
            String[] spark = hdfs.sparkConf().toArray(new String[0]);
            Path shardLog = dir.resolve("shard.log");
            Faults.assertExit(
                    0,
                    StandaloneCluster.start("local[2]", shardLog, submitArgs(SHARD, "mlh-train.jar", conf, spark)),
                    shardLog);

            Path trainLog = dir.resolve("train.log");
            Process train =
                    StandaloneCluster.start("local[2]", trainLog, submitArgs(null, "mlh-train.jar", conf, spark));
            int killed =
                    killPipelineHead(hdfs, f -> f.contains("/model-checkpoints/.epoch-1.staging-"), train, trainLog);
            Faults.assertExit(0, train, trainLog);
            assertMetDeadNode(trainLog, killed);

            hdfs.restartDataNode(killed);
            Path encodeLog = dir.resolve("encode.log");
            Process encode =
                    StandaloneCluster.start("local[2]", encodeLog, submitArgs(null, "mlh-encode.jar", conf, spark));
            killed = killPipelineHead(
                    hdfs, f -> f.contains("/.codes.staging-") && f.contains("/part-"), encode, encodeLog);
            Faults.assertExit(0, encode, encodeLog);
            assertMetDeadNode(encodeLog, killed);

            hdfs.fs("-get", out, copy.toString()); // every block from a live replica

            // a space quota smaller than the table (each open block reserves 64 KB x 2 replicas)
            String quota = hdfs.uri() + "/mlh/quota";
            hdfs.fs("-mkdir", "-p", quota);
            hdfs.admin("-setSpaceQuota", "512k", quota);
            List<String> quoted = Faults.with(conf, "paths.codes=" + quota + "/codes");
            Path fullLog = dir.resolve("encode-quota.log");
            Faults.assertExit(
                    Command.USER_ERROR,
                    StandaloneCluster.start("local[2]", fullLog, submitArgs(null, "mlh-encode.jar", quoted, spark)),
                    fullLog);
            String failure = Faults.failureLine(fullLog);
            assertTrue(
                    failure.contains("no space left to write " + quota
                            + "/codes (The DiskSpace quota of /mlh/quota is exceeded"),
                    failure + "\n" + Faults.digest(fullLog));
            assertEquals("", hdfs.fs("-ls", "-R", quota).trim(), "a failed write left files under the quota");
            hdfs.admin("-clrSpaceQuota", quota);
            Path rerunLog = dir.resolve("encode-quota-lifted.log");
            Faults.assertExit(
                    0,
                    StandaloneCluster.start("local[2]", rerunLog, submitArgs(null, "mlh-encode.jar", quoted, spark)),
                    rerunLog);
            String listing = hdfs.fs("-ls", quota);
            assertTrue(listing.contains("Found 1 items") && listing.contains(quota + "/codes"), listing);
            hdfs.fs("-get", quota + "/codes", copy.resolve("codes-after-quota").toString());
        }
        Configuration local = new Configuration();
        for (String committed : new String[] {
            "shards", "model-checkpoints/epoch-1", "model-checkpoints/epoch-2", "model", "codes", "codes-after-quota"
        }) {
            Manifest.verify(
                    local,
                    null,
                    new org.apache.hadoop.fs.Path(copy.resolve(committed).toUri()),
                    true);
        }
        SparkSession spark =
                Spark.start("data-node-loss-check", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        try {
            Faults.assertEveryRowOnce(spark, copy.resolve("shards"), IMAGES);
            Faults.assertEveryRowOnce(spark, copy.resolve("codes"), IMAGES);
            Faults.assertEveryRowOnce(spark, copy.resolve("codes-after-quota"), IMAGES);
        } finally {
            spark.stop();
        }
    }

    /**
     * Kills the first data node of the pipeline of the first block written to a file {@code file} accepts.
     * The job is held still (SIGSTOP) from the moment the block is allocated until the node is dead, so its
     * writes cannot run past the kill while this thread waits for a core.
     */
    private static int killPipelineHead(MiniHdfs hdfs, Predicate<String> file, Process job, Path log) throws Exception {
        List<Integer> pipeline = hdfs.awaitBlockOf(file, job, log, 600);
        String pid = Faults.pid(job);
        Faults.signal("STOP", pid);
        try {
            assertEquals(2, pipeline.size(), "replicas of the block: " + pipeline);
            hdfs.killDataNode(pipeline.get(0));
        } finally {
            Faults.signal("CONT", pid);
        }
        return pipeline.get(0);
    }

    /** The job's HDFS client met the dead node (the kill fell inside the job's writes, not after them). */
    private static void assertMetDeadNode(Path log, int port) throws Exception {
        String text = Faults.read(log);
        assertTrue(
                text.contains("127.0.0.1:" + port)
                        && (text.contains("Excluding datanode") || text.contains("Error Recovery for block")),
                "the job's client never met the killed data node 127.0.0.1:" + port + "\n" + Faults.digest(log));
    }
}
