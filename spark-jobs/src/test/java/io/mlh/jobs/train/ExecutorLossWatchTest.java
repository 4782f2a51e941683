package io.mlh.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.Spark;
import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import org.apache.spark.HashPartitioner;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.shuffle.FetchFailedException;
import org.apache.spark.storage.BlockManagerId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple2;

/**
 * The executor-loss signals as Spark's scheduler delivers them on a real local context: a reduce task
 * that cannot fetch a map output throws {@code FetchFailedException} naming the block manager it
 * could not reach, exactly as a task whose peer executor died does; the scheduler turns that into a
 * {@code FetchFailed} end reason, retries the stages and at last aborts the job. (Executor removal
 * needs a cluster: WorkerLossIT.)
 */
class ExecutorLossWatchTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf()
                .setMaster("local[2]")
                .setAppName("executor-loss-watch-test")
                .set("spark.ui.enabled", "false"));
        Spark.awaitNoRunningTasks(sc.sc()); // counts the context's tasks from here on
    }

    /**
     * An aborted job's other tasks end later, and their end events would reach the next test's watch:
     * each test starts with none running and every event delivered.
     */
    @AfterEach
    void awaitQuiet() {
        assertTrue(Spark.awaitNoRunningTasks(sc.sc()), "a task of the last job still runs after a minute");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    @Test
    void aFetchFailureNamesTheUnreachableExecutorOnce() throws Exception {
        try (ExecutorLossWatch watch = new ExecutorLossWatch(sc.sc())) {
            assertThrows(SparkException.class, () -> shuffleFailingToFetchFrom("7"));
            assertEquals(Collections.singleton("7"), watch.takeLost(ExecutorLossWatch.FAILURE_WAIT_MS));
            assertEquals(Collections.emptySet(), watch.takeLost(0), "taken losses are not reported again");

            // executor 7 was dealt with: its later failures are no news, another executor's are
            assertThrows(SparkException.class, () -> shuffleFailingToFetchFrom("7"));
            assertThrows(SparkException.class, () -> shuffleFailingToFetchFrom("8"));
            assertEquals(Collections.singleton("8"), watch.takeLost(ExecutorLossWatch.FAILURE_WAIT_MS));
        }
    }

    @Test
    void theJobsOwnFailuresAndSuccessesLoseNoExecutor() throws Exception {
        try (ExecutorLossWatch watch = new ExecutorLossWatch(sc.sc())) {
            assertEquals(
                    10,
                    sc.parallelize(Arrays.asList(1, 2, 3, 4), 2)
                            .mapToPair(x -> new Tuple2<>(x % 2, x))
                            .reduceByKey(Integer::sum)
                            .values()
                            .reduce(Integer::sum)
                            .intValue());
            SparkException failure = assertThrows(
                    SparkException.class,
                    () -> sc.parallelize(Arrays.asList(1, 2), 2)
                            .map(x -> {
                                if (x == 2) throw new IllegalStateException("a bug of the job's own");
                                return x;
                            })
                            .collect());
            assertTrue(failure.getMessage().contains("a bug of the job's own"));
            long t0 = System.nanoTime();
            Set<String> lost = watch.takeLost(1_000);
            assertEquals(Collections.emptySet(), lost);
            assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "takeLost must wait for events that may still come");
        }
    }

    @Test
    void aWatchClosedHearsNothing() throws Exception {
        ExecutorLossWatch watch = new ExecutorLossWatch(sc.sc());
        watch.close();
        assertThrows(SparkException.class, () -> shuffleFailingToFetchFrom("9"));
        assertEquals(Collections.emptySet(), watch.takeLost(1_000));
    }

    /** A shuffle whose reduce side fails as if the map output on {@code executor} were unreachable. */
    private static void shuffleFailingToFetchFrom(String executor) {
        JavaPairRDD<Integer, Integer> shuffled = sc.parallelize(Arrays.asList(1, 2, 3, 4), 2)
                .mapToPair(x -> new Tuple2<>(x % 2, x))
                .partitionBy(new HashPartitioner(2));
        int shuffleId =
                ((ShuffleDependency<?, ?, ?>) shuffled.rdd().dependencies().head()).shuffleId();
        shuffled.mapPartitionsWithIndex(
                        (partition, rows) -> {
                            throw new FetchFailedException(
                                    BlockManagerId.apply(executor, "127.0.0.1", 1, Option.empty()),
                                    shuffleId,
                                    0,
                                    partition,
                                    "Failed to connect to 127.0.0.1:1",
                                    null);
                        },
                        false)
                .collect();
    }
}
