package io.mlh.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.jobs.common.JobSettings;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of a small evaluation: N values beyond the database (capped to the same N) and a 4-bit PR curve. */
class HtmlReportTest {
    @Test
    void precisionAtNBeyondTheDatabaseIsOnePoint(@TempDir Path dir) throws IOException {
        JobSettings s = JobSettings.fromArgs(new String[] {"-", "jobs.evaluate.precision-at=[100, 500, 1000]"});
        EvaluateJob.Result r = new EvaluateJob.Result(
                new EvaluateSettings(s),
                4,
                10,
                150,
                0.61,
                new int[] {100, 500, 1000},
                new double[] {0.5, 0.3, 0.3},
                new double[] {0.9, 0.8, 0.6, 0.4, 0.3},
                new double[] {0.1, 0.3, 0.6, 0.9, 1.0});
        HtmlReport.write(
                new Configuration(),
                r,
                Collections.<HtmlReport.Point>emptyList(),
                null,
                new org.apache.hadoop.fs.Path(dir.toUri()));
        for (String png : new String[] {HtmlReport.PR_CURVE, HtmlReport.PRECISION_AT_N}) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertEquals(HtmlReport.WIDTH, image.getWidth());
            assertEquals(HtmlReport.HEIGHT, image.getHeight());
        }
        String html = new String(Files.readAllBytes(dir.resolve(HtmlReport.PAGE)), StandardCharsets.UTF_8);
        assertTrue(html.contains("<td class=\"l\">mAP@all</td><td>0.6100</td>"), html);
        assertTrue(html.contains("<td class=\"l\">P@1000</td><td>0.3000</td>"), html);
    }
}
