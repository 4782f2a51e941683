package io.mlh.jobs.cluster;

import static io.mlh.jobs.cluster.Faults.SHARD;
import static io.mlh.jobs.cluster.Faults.submitArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Manifest;
import io.mlh.jobs.common.Spark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encode job's output disk fills up while it writes its table: a 32 KB tmpfs, mounted in a user
 * and mount namespace of the test's own ({@code unshare}, so that no privilege is needed beyond
 * unprivileged user namespaces, and the mount cannot outlive the test). The job fails naming the path
 * and the cause and leaves nothing on the disk (no table, no staging, no claim); with the same mount
 * grown to 64 MB ("space freed"), the same command commits exactly one table, every row once.
 */
class FullDiskIT {
    /** Mounts the tmpfs, runs the command given after the three arguments twice with the disk grown between, records what the disk holds after each. */
    private static final String SCRIPT = String.join(
            "\n",
            "size=$1 disk=$2 dir=$3; shift 3",
            "mount -t tmpfs -o size=$size mlh-full-disk \"$disk\" || exit 90",
            "\"$@\" > \"$dir/full.log\" 2>&1; echo $? > \"$dir/full.rc\"",
            "(cd \"$disk\" && find .) > \"$dir/full.files\"",
            "mount -o remount,size=64m \"$disk\" || exit 91",
            "\"$@\" > \"$dir/rerun.log\" 2>&1; echo $? > \"$dir/rerun.rc\"",
            "(cd \"$disk\" && find .) > \"$dir/rerun.files\"",
            "cp -r \"$disk/codes\" \"$dir/codes\"");

    @Test
    void encodeOnAFullDiskFailsNamingThePathAndCommitsOneTableOnceThereIsSpace(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out"), disk = Files.createDirectories(dir.resolve("disk"));
        List<String> conf = Faults.with(
                Faults.conf(Faults.images(dir), out, 1),
                "paths.codes=" + disk.resolve("codes"),
                "jobs.encode.continuous=true");
        Path shardLog = dir.resolve("shard.log"), trainLog = dir.resolve("train.log");
        assertEquals(
                0,
                StandaloneCluster.submit("local[2]", shardLog, submitArgs(SHARD, "mlh-train.jar", conf)),
                Faults.digest(shardLog));
        assertEquals(
                0,
                StandaloneCluster.submit("local[2]", trainLog, submitArgs(null, "mlh-train.jar", conf)),
                Faults.digest(trainLog));

        Path log = dir.resolve("namespace.log");
        int code = StandaloneCluster.submitter("local[2]", "-Xmx3g", submitArgs(null, "mlh-encode.jar", conf))
                .launchedBy(
                        "unshare",
                        "--user",
                        "--map-root-user",
                        "--mount",
                        "sh",
                        "-c",
                        SCRIPT,
                        "full-disk",
                        "32k",
                        disk.toString(),
                        dir.toString())
                .run(log, 20);
        assertEquals(
                0,
                code,
                "mounting a tmpfs in a namespace of the test's own failed (it needs unshare and unprivileged user namespaces):\n"
                        + Faults.read(log));

        Path fullLog = dir.resolve("full.log");
        assertNotEquals(
                "0",
                Faults.read(dir.resolve("full.rc")).trim(),
                "the encode job succeeded on a full disk:\n" + Faults.digest(fullLog));
        String failure = Faults.failureLine(fullLog);
        assertTrue(
                failure.contains("no space left to write " + disk.resolve("codes") + " (No space left on device)"),
                "the failure does not name the path and the cause: " + failure + "\n" + Faults.digest(fullLog));
        assertEquals(Arrays.asList("."), lines(dir.resolve("full.files")), "a failed write left files on the disk");

        Path rerunLog = dir.resolve("rerun.log");
        assertEquals("0", Faults.read(dir.resolve("rerun.rc")).trim(), Faults.digest(rerunLog));
        List<String> entries = lines(dir.resolve("rerun.files")).stream()
                .filter(f -> !f.equals(".") && !f.startsWith("./codes/"))
                .collect(Collectors.toList());
        assertEquals(Arrays.asList("./codes"), entries, "the disk after the rerun");
        Manifest.verify(
                new Configuration(),
                null,
                new org.apache.hadoop.fs.Path(dir.resolve("codes").toString()),
                true);
        SparkSession spark =
                Spark.start("full-disk-check", JobSettings.fromArgs(new String[] {"-", "spark.master=local[1]"}));
        try {
            Faults.assertEveryRowOnce(spark, dir.resolve("codes"), 400);
        } finally {
            spark.stop();
        }
    }

    private static List<String> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().sorted().collect(Collectors.toList());
    }
}
