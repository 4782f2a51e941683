package io.mlh.jobs.cluster;

import static io.mlh.jobs.cluster.Faults.SHARD;
import static io.mlh.jobs.cluster.Faults.submitArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker of the standalone cluster dies (SIGKILL) while the train job runs on its two executors:
 * its executor goes with it (Spark's worker watcher), the epoch in flight is redone from the last
 * checkpoint on the executor that remains, and the job ends with every configured epoch and a model
 * that encodes.
 */
class WorkerLossIT {
    private static final int EPOCHS = 4;
    private static final String[] TWO_EXECUTORS = {
        "--executor-memory",
        "1200m",
        "--total-executor-cores",
        "2",
        "--conf",
        "spark.executor.cores=1",
        "--conf",
        "spark.cores.max=2"
    };

    @Test
    void trainingSurvivesALostWorkerAndItsExecutor(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out"), model = out.resolve("model");
        List<String> conf = Faults.conf(Faults.images(dir), out, EPOCHS);
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 2, 1, "2g")) {
            Path shardLog = dir.resolve("shard.log"),
                    trainLog = dir.resolve("train.log"),
                    encodeLog = dir.resolve("encode.log");
            Faults.assertExit(
                    0, cluster.start(shardLog, submitArgs(SHARD, "mlh-train.jar", conf, TWO_EXECUTORS)), shardLog);

            Process train = cluster.start(trainLog, submitArgs(null, "mlh-train.jar", conf, TWO_EXECUTORS));
            // mid-training: epoch 1 is checkpointed, epoch 2 is starting on both executors
            Faults.await(
                    "checkpoint of epoch 1",
                    train,
                    trainLog,
                    600,
                    () -> Faults.checkpoints(model).contains(1));
            Faults.kill(cluster.workers().get(1));
            Faults.assertExit(0, train, trainLog, cluster);

            String log = Faults.read(trainLog);
            for (String line : log.split("\n"))
                if (line.contains("lost executor")) System.out.println("WorkerLossIT: " + line);
            assertTrue(log.contains("Executor number is 2"), "training did not start on 2 executors");
            assertTrue(
                    log.matches("(?s).*epoch \\d/" + EPOCHS
                            + " lost executor\\(s\\) .*: redoing it from the checkpoint of epoch \\d.*"),
                    "no epoch was redone after the worker died:\n" + Jvm.tail(trainLog, 60));
            assertEquals(
                    Faults.range(1, EPOCHS), Faults.epochsLogged(trainLog), "each epoch must finish once, in order");
            assertEquals(Faults.range(0, EPOCHS), Faults.checkpoints(model));
            assertTrue(Faults.committed(model), "the model was not committed");
            assertEquals(EPOCHS, Faults.epochsInMetadata(model));

            // the model encodes, on the one worker left
            Faults.assertExit(
                    0,
                    cluster.start(encodeLog, submitArgs(null, "mlh-encode.jar", conf, TWO_EXECUTORS)),
                    encodeLog,
                    cluster);
            assertTrue(Faults.committed(out.resolve("codes")), "the code table was not committed");
            assertTrue(
                    Faults.read(encodeLog).contains("400 codes of 32 bits"),
                    "not every shard row was encoded:\n" + Jvm.tail(encodeLog, 20));
        }
    }
}
