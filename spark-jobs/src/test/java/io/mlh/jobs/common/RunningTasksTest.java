package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed job returns while its other tasks still run; the jobs wait for those before removing staging. */
class RunningTasksTest {

    @Test
    void awaitNoRunningTasksOutlastsTheTasksAFailedJobLeftRunning(@TempDir Path dir) {
        SparkSession spark =
                Spark.start("running-tasks-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
        try {
            String late = dir.resolve("late-task-ended").toString();
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            // partition 0 fails at once; partition 1 is still running when the job's failure reaches the driver
            assertThrows(
                    Exception.class,
                    () -> sc.parallelize(Arrays.asList(0, 1), 2).foreach(i -> {
                        if (i == 0) throw new IllegalStateException("planted failure");
                        try {
                            Thread.sleep(1500);
                        } finally {
                            Files.createFile(Paths.get(late));
                        }
                    }));
            Spark.awaitNoRunningTasks(spark);
            assertTrue(Files.exists(dir.resolve("late-task-ended")), "returned while the slow task still ran");
        } finally {
            spark.stop();
        }
    }
}
