package io.mlh.jobs.analysis;

import static io.mlh.jobs.analysis.AnalysisPipeline.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The analysis pipeline's long passes log their progress with rate and ETA, and a summary. */
@ExtendWith(AnalysisPipeline.Use.class)
class ProgressLogTest {
    // ---------------------------------------------------------------------------------------------- progress

    @Test
    void longJobsLogProgressWithRateAndEta() {
        List<String> lines = new ArrayList<>(progressLines);
        long total = 2L * PER_PART;
        for (String job : new String[] {"shard", "encode"}) {
            Pattern p = Pattern.compile(job + ": ([\\d,]+) / " + String.format(Locale.ROOT, "%,d", total)
                    + " images \\(\\d+%\\), [\\d.]+ images/s, ETA \\d+ (s|min \\d+ s)");
            List<Long> done = new ArrayList<>();
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.matches()) done.add(Long.parseLong(m.group(1).replace(",", "")));
            }
            assertFalse(done.isEmpty(), job + " logged no progress line: " + lines);
            for (int i = 1; i < done.size(); i++)
                assertTrue(done.get(i) > done.get(i - 1), job + " progress goes backwards: " + done);
            assertTrue(done.get(done.size() - 1) <= total);
            assertTrue(
                    lines.stream().anyMatch(l -> l.matches(job + ": [\\d,]+ images in \\d+ s, [\\d.]+ images/s")),
                    job + " logged no summary");
        }
        long database = shards.database;
        for (String pass : new String[] {"evaluate pass 1", "evaluate pass 2"}) {
            String prefix = pass + ": ";
            assertTrue(
                    lines.stream()
                            .anyMatch(l -> l.startsWith(prefix)
                                    && l.contains(" / " + String.format(Locale.ROOT, "%,d", database) + " items (")
                                    && l.contains(" items/s, ETA ")),
                    pass + " logged no progress line: " + lines);
        }
        // the search counts query x database pairs: 50 queries x the database
        String pairs = String.format(Locale.ROOT, "%,d", 50L * database);
        assertTrue(
                lines.stream()
                        .anyMatch(l -> l.startsWith("search: ")
                                && l.contains(" / " + pairs + " pairs (")
                                && l.contains(" pairs/s, ETA ")),
                "search logged no progress line: " + lines);
        assertTrue(
                lines.stream().anyMatch(l -> l.matches("search: " + pairs + " pairs in \\d+ s, [\\d.]+ pairs/s")),
                "search logged no summary: " + lines);
        assertEquals(total, encoded);
    }
}
