package io.mlh.jobs.cluster;

import static io.mlh.jobs.cluster.Faults.SHARD;
import static io.mlh.jobs.cluster.Faults.submitArgs;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker of the standalone cluster (three workers, one executor each) dies while the shard job
 * writes its table, another while the encode job writes its codes: Spark reruns the lost tasks, and
 * each committed table holds every input row exactly once (count and distinct ids against the input).
 */
class ExecutorLossIT {
    private static final int IMAGES = 4000;
    private static final String[] THREE_EXECUTORS = executors(3), TWO_EXECUTORS = executors(2);

    private static String[] executors(int n) {
        return new String[] {
            "--executor-memory", "1g", "--total-executor-cores", Integer.toString(n), "--conf", "spark.executor.cores=1"
        };
    }

    @Test
    void shardAndEncodeLoseAWorkerMidWriteAndKeepEveryRowOnce(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        // 400 images a class: the shard job takes long enough on one core a task to be caught writing
        List<String> conf = Faults.with(
                Faults.conf(CifarSubset.extract(dir.resolve("images"), "0[0-3]*"), out, 1),
                "data.queries-per-class=20",
                "data.train-per-class=20",
                "data.shards=12",
                "jobs.encode.batch-size=2");
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 3, 1, "1500m")) {
            Path shardLog = dir.resolve("shard.log"), trainLog = dir.resolve("train.log");
            Process shard = cluster.start(shardLog, submitArgs(SHARD, "mlh-train.jar", conf, THREE_EXECUTORS));
            Faults.await(
                    "a shard part file",
                    shard,
                    shardLog,
                    600,
                    () -> !Faults.stagedParts(out.resolve("shards")).isEmpty());
            Faults.kill(cluster.workers().get(2));
            Faults.assertExit(0, shard, shardLog);
            assertTrue(Faults.read(shardLog).contains("Lost executor"), "the worker died after the job: " + shardLog);

            // two workers are left: train on both, then encode on both and lose one of them
            Faults.assertExit(
                    0,
                    cluster.start(trainLog, submitArgs(null, "mlh-train.jar", conf, TWO_EXECUTORS)),
                    trainLog,
                    cluster);

            Path encodeLog = dir.resolve("encode.log");
            Process encode = cluster.start(encodeLog, submitArgs(null, "mlh-encode.jar", conf, TWO_EXECUTORS));
            Faults.await(
                    "a code part file",
                    encode,
                    encodeLog,
                    600,
                    () -> !Faults.stagedParts(out.resolve("codes")).isEmpty());
            Faults.kill(cluster.workers().get(1)); // the encode job goes on with worker 0
            Faults.assertExit(0, encode, encodeLog, cluster);
            assertTrue(Faults.read(encodeLog).contains("Lost executor"), "the worker died after the job: " + encodeLog);
        }
        SparkSession spark =
                Spark.start("executor-loss-check", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        try {
            Faults.assertEveryRowOnce(spark, out.resolve("shards"), IMAGES);
            Faults.assertEveryRowOnce(spark, out.resolve("codes"), IMAGES);
        } finally {
            spark.stop();
        }
    }
}
