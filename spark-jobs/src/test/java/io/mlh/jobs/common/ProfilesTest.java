package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.config.ConfigError;
import io.mlh.jobs.encode.EncodeSettings;
import io.mlh.jobs.evaluate.EvaluateSettings;
import io.mlh.jobs.images.Framing;
import io.mlh.jobs.search.SearchSettings;
import io.mlh.jobs.serve.ServeSettings;
import io.mlh.jobs.source.SourceSettings;
import io.mlh.jobs.train.TrainSettings;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every profile in conf/ loads and validates with the jobs' keys; job keys are checked like model keys. */
class ProfilesTest {
    /** The settings every job reads, from {@code args}: each job's keys read and checked as its run would. */
    static JobSettings everyJob(String[] args) {
        JobSettings s = JobSettings.fromArgs(args);
        new SourceSettings(s.model);
        Framing.of(s.model);
        new TrainSettings(s);
        new EncodeSettings(s);
        new EvaluateSettings(s);
        new SearchSettings(s);
        new ServeSettings(s);
        return s;
    }

    @Test
    void everyProfileLoads() throws Exception {
        int n = 0;
        try (DirectoryStream<Path> confs = Files.newDirectoryStream(Paths.get("..", "conf"), "*.conf")) {
            for (Path conf : confs) {
                JobSettings s = everyJob(new String[] {conf.toString()});
                assertEquals(s.model.inputChannels(), Framing.of(s.model).mean().length, conf.toString());
                n++;
            }
        }
        assertTrue(n >= 4, "profiles found: " + n);
        JobSettings fm =
                everyJob(new String[] {"../conf/fashion-mnist.conf", "bits=32", "paths.codes=hdfs://nn:8020/codes"});
        assertEquals(32, fm.model.bits());
        assertEquals(SourceSettings.Source.IDX, new SourceSettings(fm.model).source);
        assertEquals("hdfs://nn:8020/codes", fm.codesPath);
        assertEquals(fm.codesPath, new EvaluateSettings(fm).queryCodes);
    }

    @Test
    void badJobKeysNameTheKey() {
        ConfigError unknown = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.shard=4"}));
        assertTrue(unknown.getMessage().contains("mlh.data.shard"), unknown.getMessage());
        ConfigError source = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.source=csv"}));
        assertTrue(source.getMessage().contains("mlh.data.source"), source.getMessage());
        ConfigError mean = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.mean=[0.1,0.2]"}));
        assertTrue(mean.getMessage().contains("mlh.data.mean"), mean.getMessage());
        ConfigError shards = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.shards=0"}));
        assertTrue(shards.getMessage().contains("mlh.data.shards"), shards.getMessage());
        ConfigError centre =
                assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.centre-crop=1.2"}));
        assertTrue(
                centre.getMessage().contains("mlh.data.centre-crop")
                        && centre.getMessage().contains("[0, 1]"),
                centre.getMessage());
        ConfigError scale = assertThrows(
                ConfigError.class,
                () -> everyJob(
                        new String[] {"-", "data.augment.resized-crop=true", "data.augment.crop-scale=[0.5, 0.2]"}));
        assertTrue(
                scale.getMessage().contains("mlh.data.augment.crop-scale")
                        && scale.getMessage().contains("min <= max"),
                scale.getMessage());
        ConfigError ratio = assertThrows(
                ConfigError.class,
                () -> everyJob(new String[] {"-", "data.augment.resized-crop=true", "data.augment.crop-ratio=[0, 1]"}));
        assertTrue(ratio.getMessage().contains("mlh.data.augment.crop-ratio"), ratio.getMessage());
        ConfigError queriesFromIdx =
                assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", "data.query-folder=test"}));
        assertTrue(
                queriesFromIdx.getMessage().contains("mlh.data.query-folder")
                        && queriesFromIdx.getMessage().contains("not idx"),
                queriesFromIdx.getMessage());
        ConfigError queriesInDatabase = assertThrows(
                ConfigError.class,
                () -> everyJob(new String[] {
                    "-", "data.source=folder", "data.folder-split=train,test", "data.query-folder=test"
                }));
        assertTrue(
                queriesInDatabase.getMessage().contains("mlh.data.query-folder")
                        && queriesInDatabase.getMessage().contains("data.folder-split"),
                queriesInDatabase.getMessage());
    }

    /** Every job key's value is read through ConfigReader: a wrong type names the key and the value. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "jobs.train.resume=maybe          | mlh.jobs.train.resume          | true or false",
                "jobs.train.epoch-retries=two     | mlh.jobs.train.epoch-retries   | an integer",
                "jobs.encode.batch-size=1.5       | mlh.jobs.encode.batch-size     | an integer",
                "jobs.encode.batch-size=0         | mlh.jobs.encode.batch-size     | >= 1",
                "jobs.encode.input=hdfs           | mlh.jobs.encode.input          | shards, source",
                "jobs.evaluate.precision-at=[0]   | mlh.jobs.evaluate.precision-at | >= 1",
                "jobs.evaluate.precision-at=100   | mlh.jobs.evaluate.precision-at | a list of integers",
                "jobs.evaluate.compare-reports=3  | mlh.jobs.evaluate.compare-reports | a list of strings",
                "jobs.progress-interval=soon      | mlh.jobs.progress-interval     | a duration",
                "data.shard-size=big              | mlh.data.shard-size            | a size in bytes",
                "data.augment.flip=1              | mlh.data.augment.flip          | true or false",
                "data.augment.crop-padding=32     | mlh.data.augment.crop-padding  | in 0..31"
            })
    void mistypedJobKeysAreConfigErrorsNamingTheKey(String override, String key, String expected) {
        ConfigError e = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", override}));
        assertTrue(e.getMessage().contains("'" + key + "'") && e.getMessage().contains(expected), e.getMessage());
    }

    /** The job keys before they had one section per job: each is refused, naming the key it became. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "jobs.resume=true,               jobs.train.resume",
        "jobs.epoch-retries=1,           jobs.train.epoch-retries",
        "jobs.tensorboard=false,         jobs.train.tensorboard",
        "jobs.tensorboard-dir=/tmp/tb,   jobs.train.tensorboard-dir",
        "jobs.validation-queries=10,     jobs.train.validation-queries",
        "jobs.validation-database=10,    jobs.train.validation-database",
        "jobs.continuous=true,           jobs.encode.continuous",
        "jobs.gates=true,                jobs.encode.gates",
        "jobs.encode-input=source,       jobs.encode.input",
        "jobs.encode-batch-size=16,      jobs.encode.batch-size",
        "jobs.query-codes=/tmp/q,        jobs.evaluate.query-codes",
        "jobs.database-codes=/tmp/d,     jobs.evaluate.database-codes",
        "jobs.top-k=100,                 jobs.evaluate.map-at",
        "jobs.evaluate.top-k=100,        jobs.evaluate.map-at",
        "jobs.precision-at=[10],         jobs.evaluate.precision-at",
        "jobs.evaluate-partitions=4,     jobs.evaluate.partitions",
        "jobs.compare-reports=[],        jobs.evaluate.compare-reports"
    })
    void flatJobKeysAreRefusedWithTheirNewName(String override, String renamed) {
        ConfigError e = assertThrows(ConfigError.class, () -> everyJob(new String[] {"-", override}));
        String old = "mlh." + override.substring(0, override.indexOf('='));
        assertTrue(
                e.getMessage().contains("'" + old + "': unknown key; did you mean 'mlh." + renamed + "'?"),
                e.getMessage());
        assertDoesNotThrow(() -> everyJob(new String[] {"-", renamed + override.substring(override.indexOf('='))}));
    }
}
