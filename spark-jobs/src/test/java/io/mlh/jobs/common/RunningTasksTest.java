package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed job returns while its other tasks still run; the jobs wait for those before removing staging. */
class RunningTasksTest {

    /**
     * Partition 1 signals that its body runs, and partition 0 fails only then, so the slow task is really
     * running when the job fails (a task that Spark kills before its body starts would prove nothing). The
     * slow task then waits until the driver has seen the failure and ends a second later: without the wait
     * in {@link Spark#awaitNoRunningTasks} the driver looks before that.
     */
    @Test
    void awaitNoRunningTasksOutlastsTheTasksAFailedJobLeftRunning(@TempDir Path dir) throws Exception {
        SparkSession spark =
                Spark.start("running-tasks-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
        try {
            // both tasks must run at once; a session an earlier test class left running would be reused
            assertEquals("local[2]", spark.sparkContext().master(), "the session is not this test's own");
            String started = dir.resolve("slow-task-started").toString(),
                    failed = dir.resolve("driver-saw-failure").toString(),
                    ended = dir.resolve("slow-task-ended").toString();
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            assertThrows(
                    Exception.class,
                    () -> sc.parallelize(Arrays.asList(0, 1), 2).foreach(i -> {
                        if (i == 0) {
                            awaitFile(started);
                            throw new IllegalStateException("planted failure");
                        }
                        Files.createFile(Paths.get(started));
                        try {
                            awaitFile(failed);
                            Thread.sleep(1000); // the task's own work, after the job has failed
                        } finally {
                            Files.createFile(Paths.get(ended));
                        }
                    }));
            assertTrue(Files.exists(Paths.get(started)), "the slow task never started");
            assertFalse(Files.exists(Paths.get(ended)), "the slow task ended before the job's failure");
            Files.createFile(Paths.get(failed));
            Spark.awaitNoRunningTasks(spark);
            assertTrue(Files.exists(Paths.get(ended)), "returned while the slow task still ran");
        } finally {
            spark.stop();
        }
    }

    /** Waits for another party's file (at most two minutes, then fails: the other side never came). */
    private static void awaitFile(String file) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(Paths.get(file))) {
            if (System.nanoTime() > end) throw new IllegalStateException("never appeared: " + file);
            Thread.sleep(10);
        }
    }
}
