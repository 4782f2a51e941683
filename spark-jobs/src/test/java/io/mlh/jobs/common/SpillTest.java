package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageUtils;
import org.junit.jupiter.api.Test;

/**
 * Spark 2.4 spilling to disk and reading the spill back, on the JVM the tests run on (JDK 17 here).
 * Reading a spill back ends with StorageUtils.dispose, which failed on JDK 17 with NoSuchMethodError
 * until spark-jdk17 patched it; this forces a sort to spill every few hundred rows.
 */
class SpillTest {
    private static final int ROWS = 20_000;
    private static final long MB = 1 << 20;

    @Test
    void disposeFreesTheDirectBufferThatOwnsTheMemoryAndLeavesViewsAlone() {
        ByteBuffer owner = ByteBuffer.allocateDirect((int) (32 * MB));
        long allocated = directMemoryUsed();
        StorageUtils.dispose(owner.slice()); // a view: must neither throw nor free the owner's memory
        StorageUtils.dispose(owner.duplicate());
        // half the owner's size either way: other buffers of this JVM may come and go meanwhile
        assertTrue(directMemoryUsed() > allocated - 16 * MB, "disposing a view freed its owner's memory");
        StorageUtils.dispose(owner);
        assertTrue(directMemoryUsed() < allocated - 16 * MB, "dispose did not free the direct buffer");
    }

    private static long directMemoryUsed() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) return pool.getMemoryUsed();
        }
        throw new IllegalStateException("no direct buffer pool");
    }

    @Test
    void sortSpillsToDiskAndReadsTheSpillsBack() throws Exception {
        SparkSession spark = SparkSession.builder()
                .appName("spill-test")
                .master("local[1]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.shuffle.spill.numElementsForceSpillThreshold", "500")
                .getOrCreate();
        try {
            assertEquals(
                    "500",
                    spark.sparkContext().getConf().get("spark.shuffle.spill.numElementsForceSpillThreshold", ""),
                    "a session another test left running was reused, without this test's spill threshold");
            AtomicLong spilled = new AtomicLong();
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    if (end.taskMetrics() != null)
                        spilled.addAndGet(end.taskMetrics().diskBytesSpilled());
                }
            });

            // ids 0..ROWS-1 in a scrambled order (7919 is prime to ROWS), sorted back by one partition
            List<Row> rows = spark.range(ROWS)
                    .select(functions.expr("(id * 7919) % " + ROWS).as("v"))
                    .sort("v")
                    .collectAsList();

            assertEquals(ROWS, rows.size());
            for (int i = 0; i < ROWS; i++) assertEquals(i, rows.get(i).getLong(0), "row " + i);
            // every task-end event was posted before collect returned: wait until the listeners have had them
            spark.sparkContext().listenerBus().waitUntilEmpty(60_000);
            assertTrue(spilled.get() > 0, "the sort did not spill, so this tested nothing");
        } finally {
            spark.stop();
        }
    }
}
