package io.mlh.bench;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.evaluate.EvaluateJob;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * One evaluation of a code table on Spark local[2] in this JVM, under a {@link HeapWatch}; prints one
 * {@value #RESULT} line for {@link DriverMemoryBench}. In local mode the driver and the executors share
 * this heap, so its peak bounds what the driver holds.
 * Arguments: code table, report directory.
 */
public final class EvaluateOnce {
    static final String RESULT = "MEMORY-RESULT";

    private EvaluateOnce() {}

    public static void main(String[] args) throws Exception {
        JobSettings s = JobSettings.fromArgs(new String[] {
            "-",
            "spark.master=local[2]",
            "paths.codes=" + args[0],
            "paths.report=" + args[1],
            "jobs.overwrite=true",
            "jobs.evaluate.map-at=0",
            "jobs.evaluate.precision-at=[100, 1000]"
        });
        SparkSession spark = Spark.start("bench-memory", s);
        try {
            long idle = HeapWatch.liveNow(); // Spark started, nothing evaluated yet
            try (HeapWatch watch = new HeapWatch()) {
                long t0 = System.nanoTime();
                EvaluateJob.Result r = EvaluateJob.run(spark, s);
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.println(String.format(
                        Locale.ROOT,
                        "%s database=%d queries=%d seconds=%.3f idle=%d peakLive=%d peakAfterGc=%d map=%.6f",
                        RESULT,
                        r.database,
                        r.queries,
                        seconds,
                        idle,
                        watch.peakLive(),
                        watch.peakAfterGc(),
                        r.map));
            }
        } finally {
            spark.stop();
        }
    }
}
