package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A committed output's manifest against what later happens to its files: each loss or change is
 * refused naming the file (a same-size change only with hashes on), on a local store whose files
 * have no Hadoop .crc side files.
 */
class ManifestTest {
    private static final Configuration CONF = new Configuration();

    @TempDir
    Path dir;

    private Path out;

    @BeforeEach
    void commitAnOutput() throws IOException {
        out = dir.resolve("report");
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(CONF, out.toString(), false);
        Path local = Paths.get(staging.toUri().getPath());
        Files.write(local.resolve("metrics.json"), "{\"map\": 0.5}".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(local.resolve("plots"));
        Files.write(local.resolve("plots/pr.png"), new byte[1000]);
        CommittedOutput.commit(CONF, staging, out.toString());
    }

    @Test
    void listsEveryFileWithItsSizeAndHash() throws IOException {
        Manifest m = CommittedOutput.verified(CONF, out.toString());
        assertEquals(
                Arrays.asList("metrics.json", "plots/pr.png"),
                new java.util.ArrayList<>(m.entries().keySet()));
        assertEquals(1000, m.entries().get("plots/pr.png").bytes);
        assertEquals(-1, m.entries().get("plots/pr.png").rows, "not a Parquet file");
        assertEquals(
                Sha256.of(
                        CONF,
                        new org.apache.hadoop.fs.Path(
                                out.resolve("metrics.json").toString())),
                m.sha256("metrics.json"));
        assertTrue(Files.readAllLines(out.resolve(Manifest.FILE)).toString().contains("\"sha256\""));
    }

    @Test
    void aMissingFileIsRefusedNamingIt() throws IOException {
        Files.delete(out.resolve("plots/pr.png"));
        assertRefused(false, "has lost plots/pr.png (listed in its manifest)");
    }

    @Test
    void anAddedFileIsRefusedNamingIt() throws IOException {
        Files.write(out.resolve("plots/extra.png"), new byte[10]);
        assertRefused(false, "holds plots/extra.png, which its manifest does not list");
    }

    @Test
    void aTruncatedFileIsRefusedNamingIt() throws IOException {
        Files.write(out.resolve("plots/pr.png"), new byte[999]);
        assertRefused(false, "plots/pr.png is 999 bytes, its manifest says 1000 (truncated or replaced)");
    }

    @Test
    void aSameSizeChangeIsRefusedWhenHashesAreChecked() throws IOException {
        byte[] b = new byte[1000];
        b[500] = 1; // one flipped bit
        Files.write(out.resolve("plots/pr.png"), b);
        assertDoesNotThrow(() -> CommittedOutput.verified(CONF, out.toString()), "sizes alone cannot see it");
        assertRefused(true, "plots/pr.png does not match its SHA-256 in the manifest");
    }

    @Test
    void anOutputWithoutAManifestIsRefused() throws IOException {
        Files.delete(out.resolve(Manifest.FILE));
        assertRefused(false, "has no " + Manifest.FILE);
    }

    @Test
    void aRelativePathListsTheSameNames() throws IOException {
        // the jobs take paths as users give them: "out/codes" is relative to the working directory
        Path cwd = Paths.get("").toAbsolutePath();
        String relative = cwd.relativize(out).toString();
        Manifest m = CommittedOutput.verified(CONF, relative);
        assertEquals(
                Arrays.asList("metrics.json", "plots/pr.png"),
                new java.util.ArrayList<>(m.entries().keySet()));
        Files.delete(out.resolve("metrics.json"));
        IOException e = assertThrows(IOException.class, () -> CommittedOutput.requireCommitted(CONF, relative));
        assertTrue(e.getMessage().contains("has lost metrics.json"), e.getMessage());
    }

    @Test
    void aDirectoryUriEndingInASlashListsTheSameNames() throws IOException {
        // java.nio's toUri() of a directory ends in '/', as do paths users copy from listings
        Manifest m = Manifest.verify(CONF, null, new org.apache.hadoop.fs.Path(out.toUri()), true);
        assertEquals(
                Arrays.asList("metrics.json", "plots/pr.png"),
                new java.util.ArrayList<>(m.entries().keySet()));
    }

    private void assertRefused(boolean hashes, String expected) {
        IOException e = assertThrows(IOException.class, () -> {
            if (hashes) Manifest.verify(CONF, null, new org.apache.hadoop.fs.Path(out.toString()), true);
            else CommittedOutput.requireCommitted(CONF, out.toString());
        });
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains(expected), e.getMessage());
    }
}
