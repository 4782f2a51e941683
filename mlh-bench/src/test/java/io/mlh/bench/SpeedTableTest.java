package io.mlh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The speed page's generated sections: the run's header, each group against its reference, only between the markers. */
class SpeedTableTest {
    @TempDir
    Path dir;

    @Test
    void writesTheSectionBetweenItsMarkersOnly() throws IOException {
        Path results = dir.resolve("train-job.txt"), page = dir.resolve("speed.md");
        Files.write(
                results,
                Arrays.asList(
                        RunHeader.PREFIX + "Test CPU, 2 cores (avx2), JDK 17, 2026-12-02T00:00:00Z, commit abc1234",
                        "train-job-mkldnn job 180.0",
                        "train-job-mkldnn step 200.0",
                        "# a comment line 1 2",
                        "some log line 3"));
        Files.write(
                page,
                Arrays.asList(
                        "intro",
                        "<!-- speed:train-job -->",
                        "old table",
                        "<!-- /speed:train-job -->",
                        "outro",
                        "<!-- speed:encode -->",
                        "kept",
                        "<!-- /speed:encode -->"));
        SpeedTable.main(new String[] {"--page", page.toString(), "--section", "train-job", results.toString()});
        String s = new String(Files.readAllBytes(page), StandardCharsets.UTF_8);
        assertTrue(
                s.startsWith(
                        "intro\n<!-- speed:train-job -->\nRun: Test CPU, 2 cores (avx2), JDK 17, 2026-12-02T00:00:00Z, commit abc1234.\n"),
                s);
        assertTrue(s.contains("| train-job-mkldnn (img/s) | img/s | x step | goal >= 0.9x |"), s);
        assertTrue(s.contains("| job | 180.0 | 0.90 | met |"), s);
        assertTrue(s.contains("| step | 200.0 |  |  |"), s);
        assertTrue(!s.contains("old table") && s.contains("<!-- /speed:train-job -->\noutro") && s.contains("kept"), s);

        Path bare = dir.resolve("bare.md");
        Files.write(bare, Arrays.asList("no markers"));
        IOException e = assertThrows(
                IOException.class,
                () -> SpeedTable.main(
                        new String[] {"--page", bare.toString(), "--section", "train-job", results.toString()}));
        assertTrue(e.getMessage().contains("<!-- speed:train-job -->"), e.getMessage());
        assertEquals("no markers\n", new String(Files.readAllBytes(bare), StandardCharsets.UTF_8));
    }

    @Test
    void carriesTheBenchmarksOwnRowsAndNotesAfterTheGeneratedTables() throws IOException {
        Path results = dir.resolve("input.txt"), page = dir.resolve("speed.md");
        Files.write(
                results,
                Arrays.asList(
                        RunHeader.PREFIX + "Test CPU, 2 cores, JDK 17, 2026-12-02T00:00:00Z, commit abc1234",
                        "input-224 decode-1-core 30.0",
                        "input-224 trainer-per-core 3.0",
                        "| database | MB |",
                        "|---:|---:|",
                        "| 1,000 | 39 |",
                        "- 1,000 codes: the same mAP: true",
                        "| 2,000 | 40 |",
                        "wrote /tmp/x (1.0 s)"));
        Files.write(page, Arrays.asList("<!-- speed:input -->", "<!-- /speed:input -->"));
        SpeedTable.main(new String[] {"--page", page.toString(), "--section", "input", results.toString()});
        String s = new String(Files.readAllBytes(page), StandardCharsets.UTF_8);
        assertTrue(s.contains("| input-224 (img/s) | img/s | x trainer-per-core | goal >= 3.0x |"), s);
        assertTrue(s.contains("| decode-1-core | 30.0 | 10.00 | met |"), s);
        assertTrue(
                s.contains("\n\n| database | MB |\n|---:|---:|\n| 1,000 | 39 |\n| 2,000 | 40 |\n\n"
                        + "- 1,000 codes: the same mAP: true\n\n<!-- /speed:input -->"),
                s);
        assertTrue(!s.contains("wrote"), s);
    }
}
