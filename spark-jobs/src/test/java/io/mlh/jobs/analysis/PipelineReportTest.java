package io.mlh.jobs.analysis;

import static io.mlh.jobs.analysis.AnalysisPipeline.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlh.jobs.gallery.GalleryFixture;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The analysis pipeline's evaluation reports: the gallery in a real browser, the plots and the figures. */
@ExtendWith(AnalysisPipeline.Use.class)
class PipelineReportTest {
    // ------------------------------------------------------------------------------------------------ report

    /**
     * The report's gallery (8 queries by default) holds the real codes' exact top 10, marked by the labels;
     * in headless Chromium every thumbnail decodes (the page's own count) and the screenshot of the gallery
     * shows images, not a blank area.
     */
    @Test
    void reportGalleryHoldsTheTopTenAndDecodesInARealBrowser() throws Exception {
        Path page = dir.resolve("report").resolve("report.html");
        GalleryFixture g = GalleryFixture.parse(new String(Files.readAllBytes(page), StandardCharsets.UTF_8));
        List<Row> codes = spark.read()
                .parquet(dir.resolve("codes").toString())
                .select("id", "split", "labels", "bits", "code")
                .collectAsList();
        assertEquals(8, g.queries);
        assertEquals(8 * 11, g.images);
        assertEquals(GalleryFixture.bruteForce(codes, "query", "database", 8), g.lines);

        HeadlessChromium chromium = HeadlessChromium.find(Files.createDirectories(dir.resolve("chromium")));
        String dom = chromium.dumpDom(page);
        Matcher section = Pattern.compile("<section id=\"gallery\"[^>]*>").matcher(dom);
        assertTrue(section.find(), "no gallery in the browser's DOM");
        int images = HeadlessChromium.attribute(section.group(), "data-images"),
                decoded = HeadlessChromium.attribute(section.group(), "data-decoded"),
                top = HeadlessChromium.attribute(section.group(), "data-top"),
                height = HeadlessChromium.attribute(section.group(), "data-height");
        assertEquals(88, images);
        assertEquals(images, decoded, "thumbnails the browser decoded");
        assertTrue(dom.contains(decoded + " of " + images + " thumbnails shown."), "the page's status line");

        int width = 1400, window = 2000;
        BufferedImage shot =
                ImageIO.read(chromium.screenshot(page, width, window).toFile());
        assertEquals(width, shot.getWidth());
        assertEquals(window, shot.getHeight());
        assertTrue(top + 200 < window, "the gallery starts at " + top + " px, below the window");
        Set<Integer> colours = new HashSet<>();
        for (int y = top; y < Math.min(window, top + height); y++)
            for (int x = 0; x < width; x++) colours.add(shot.getRGB(x, y) & 0xffffff);
        assertTrue(colours.size() > 100, "the gallery area holds " + colours.size() + " colours: blank");
        assertTrue(colours.contains(0x2ca02c) || colours.contains(0xd62728), "no relevance border drawn");
    }

    @Test
    void reportHoldsThePlotsAndTheFigures() throws IOException {
        Path report = dir.resolve("report");
        assertTrue(Files.exists(report.resolve("_MLH_COMMITTED")));
        String html = new String(Files.readAllBytes(report.resolve("report.html")), StandardCharsets.UTF_8);
        for (String png : new String[] {"pr-curve.png", "precision-at-n.png"}) {
            assertTrue(html.contains("src=\"" + png + "\""), png + " is not on the page");
            assertIsAPlot(report.resolve(png));
        }
        assertFalse(Files.exists(report.resolve("map-by-bits.png")), "one report alone has no comparison");
        JsonNode metrics = JSON.readTree(report.resolve("metrics.json").toFile());
        assertTrue(
                html.contains(
                        String.format(Locale.ROOT, "%.4f", metrics.get("map").asDouble())),
                "mAP missing from the page");
        assertTrue(html.contains(String.format(
                Locale.ROOT, "%.4f", metrics.get("precision_within_radius_2").asDouble())));
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        metrics.get("precision_at_n").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertTrue(
                    html.contains("P@" + e.getKey() + "</td><td>"
                            + String.format(Locale.ROOT, "%.4f", e.getValue().asDouble())),
                    "P@" + e.getKey() + " missing from the page");
        }
        for (JsonNode p : metrics.get("pr_curve")) { // every radius, as a table row
            assertTrue(html.contains("<tr><td>" + p.get("radius").asInt() + "</td><td>"
                    + String.format(Locale.ROOT, "%.4f", p.get("precision").asDouble())));
        }

        Path second = dir.resolve("report-compared");
        String html2 = new String(Files.readAllBytes(second.resolve("report.html")), StandardCharsets.UTF_8);
        assertTrue(html2.contains("src=\"map-by-bits.png\""));
        assertTrue(
                html2.contains(report.toString())
                        && html2.contains(dir.resolve("report-32").toString()),
                "the compared reports are listed");
        assertTrue(html2.contains("<td>32</td><td>all</td><td>0.5000</td>"), "the 32-bit report's row");
        assertIsAPlot(second.resolve("map-by-bits.png"));
        assertEquals(evaluated.map, compared.map, 0.0, "the same codes give the same mAP");
    }

    /** A PNG of the report's size with a drawing on it: several distinct colours, not one flat fill. */
    private static void assertIsAPlot(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth(), png.toString());
        assertEquals(500, image.getHeight(), png.toString());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2)
            for (int x = 0; x < image.getWidth(); x += 2) colours.add(image.getRGB(x, y));
        assertTrue(colours.size() >= 8, png + " has only " + colours.size() + " colours");
        int blue = 0; // the series colour (#1F77B4) drawn on it
        for (int y = 0; y < image.getHeight(); y++)
            for (int x = 0; x < image.getWidth(); x++) if ((image.getRGB(x, y) & 0xFFFFFF) == 0x1F77B4) blue++;
        assertTrue(blue > 100, png + ": the series line is missing (" + blue + " pixels)");
    }
}
