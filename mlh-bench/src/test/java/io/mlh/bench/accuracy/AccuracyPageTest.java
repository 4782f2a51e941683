package io.mlh.bench.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** The committed results page is what the generator makes of the committed results file. */
class AccuracyPageTest {
    private static final Path CSV = Paths.get("results", "accuracy.csv"),
            PAGE = Paths.get("..", "docs", "results", "accuracy.md");

    @Test
    void committedPageMatchesTheResultsFile() throws IOException {
        assertTrue(
                Files.exists(CSV) && Files.exists(PAGE),
                "run from mlh-bench: " + CSV.toAbsolutePath() + ", " + PAGE.toAbsolutePath());
        String expected = AccuracySummary.page(AccuracySummary.read(CSV));
        assertTrue(expected.contains("| mlh |"), "the generated page has no mlh row");
        assertEquals(
                expected,
                new String(Files.readAllBytes(PAGE), StandardCharsets.UTF_8),
                "docs/results/accuracy.md is stale or edited by hand: run make accuracy-summary");
    }
}
