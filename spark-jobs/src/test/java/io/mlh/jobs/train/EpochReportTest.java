package io.mlh.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.centres.HashCentres;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** The validation rows spread over the table, whose ids come class by class for image folders. */
class EpochReportTest {
    @Test
    void heldOutRowsSpanTheClassesOfAClassSortedTable() {
        JobSettings s = JobSettings.fromArgs(new String[] {
            "-", "spark.master=local[1]", "jobs.train.validation-queries=20", "jobs.train.validation-database=50"
        });
        TrainSettings t = new TrainSettings(s);
        SparkSession spark = Spark.start("validation-test", s);
        try {
            List<Row> rows = new ArrayList<>();
            long id = 0;
            for (String split : new String[] {Split.QUERY.value(), Split.DATABASE.value()}) {
                for (int c = 0; c < 10; c++) { // class by class, as a folder catalogue gives them
                    for (int i = 0; i < 30; i++) {
                        Integer[] y = new Integer[10];
                        Arrays.fill(y, 0);
                        y[c] = 1;
                        rows.add(RowFactory.create(
                                id++, split, false, Arrays.asList(y), new byte[] {0}, "raw", 1, 1, 1, "x"));
                    }
                }
            }
            Dataset<Row> table = spark.createDataFrame(rows, ShardTable.SCHEMA);
            HashCentres centres = HashCentres.generate(10, s.model.bits(), s.model.seed(), s.model.centreMinDistance());
            EpochReport v = EpochReport.of(
                    table,
                    table.filter(ShardTable.TRAINING),
                    s.model,
                    Framing.of(s.model),
                    t.validationQueries,
                    t.validationDatabase,
                    centres,
                    1);
            assertEquals(20, v.queries());
            assertEquals(50, v.database());
            Set<Integer> classes = new HashSet<>();
            for (float[] y : v.queryLabels()) for (int c = 0; c < y.length; c++) if (y[c] > 0) classes.add(c);
            assertTrue(classes.size() >= 5, "validation queries come from classes " + classes);
            assertTrue(
                    Arrays.deepEquals(
                            v.queryLabels(),
                            EpochReport.of(
                                            table,
                                            table.filter(ShardTable.TRAINING),
                                            s.model,
                                            Framing.of(s.model),
                                            t.validationQueries,
                                            t.validationDatabase,
                                            centres,
                                            1)
                                    .queryLabels()),
                    "not the same rows each time");
        } finally {
            spark.stop();
        }
    }
}
