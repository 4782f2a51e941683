package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SparkTest {
    @Test
    void localStarGivesBigDLEveryProcessorSparkUses() {
        int n = Runtime.getRuntime().availableProcessors();
        assertEquals("local[" + n + "]", Spark.withExplicitThreads("local[*]"));
        assertEquals("local[3]", Spark.withExplicitThreads("local[3]"));
        assertEquals("spark://127.0.0.1:7077", Spark.withExplicitThreads("spark://127.0.0.1:7077"));
    }
}
