package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.config.ConfigError;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** Every profile in conf/ loads and validates with the jobs' keys; job keys are checked like model keys. */
class ProfilesTest {

    @Test
    void everyProfileLoads() throws Exception {
        int n = 0;
        try (DirectoryStream<Path> confs = Files.newDirectoryStream(Paths.get("..", "conf"), "*.conf")) {
            for (Path conf : confs) {
                JobSettings s = JobSettings.fromArgs(new String[] {conf.toString()});
                assertEquals(s.model.inputChannels(), s.mean.length, conf.toString());
                n++;
            }
        }
        assertTrue(n >= 4, "profiles found: " + n);
        JobSettings fm = JobSettings.fromArgs(new String[] {"../conf/fashion-mnist.conf", "bits=32", "paths.codes=hdfs://nn:8020/codes"});
        assertEquals(32, fm.model.bits());
        assertEquals(JobSettings.Source.IDX, fm.source);
        assertEquals("hdfs://nn:8020/codes", fm.codesPath);
        assertEquals(fm.codesPath, fm.queryCodesPath);
    }

    @Test
    void badJobKeysNameTheKey() {
        ConfigError unknown = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.shard=4"}));
        assertTrue(unknown.getMessage().contains("mlh.data.shard"), unknown.getMessage());
        ConfigError source = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.source=csv"}));
        assertTrue(source.getMessage().contains("mlh.data.source"), source.getMessage());
        ConfigError mean = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.mean=[0.1,0.2]"}));
        assertTrue(mean.getMessage().contains("mlh.data.mean"), mean.getMessage());
        ConfigError shards = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.shards=0"}));
        assertTrue(shards.getMessage().contains("mlh.data.shards"), shards.getMessage());
        ConfigError centre = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.centre-crop=1.2"}));
        assertTrue(centre.getMessage().contains("mlh.data.centre-crop") && centre.getMessage().contains("[0, 1]"), centre.getMessage());
        ConfigError scale = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.augment.resized-crop=true",
                "data.augment.crop-scale=[0.5, 0.2]"}));
        assertTrue(scale.getMessage().contains("mlh.data.augment.crop-scale") && scale.getMessage().contains("min <= max"), scale.getMessage());
        ConfigError ratio = assertThrows(ConfigError.class, () -> JobSettings.fromArgs(new String[] {"-", "data.augment.resized-crop=true",
                "data.augment.crop-ratio=[0, 1]"}));
        assertTrue(ratio.getMessage().contains("mlh.data.augment.crop-ratio"), ratio.getMessage());
    }
}
