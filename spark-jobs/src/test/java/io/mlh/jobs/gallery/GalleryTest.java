package io.mlh.jobs.gallery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.images.Thumbnails;
import io.mlh.jobs.tables.ShardTable;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gallery's HTML from real shard-table rows (raw grey and colour pixels, a PNG, a JPEG that does not
 * decode): a thumbnail for every image, with the colours of the image; the relevance marks against the
 * labels; a placeholder naming the id of every image that is missing or broken.
 */
class GalleryTest {
    private static final Pattern FIGURE = Pattern.compile("<figure class=\"([^\"]*)\"([^>]*)>(.*?)</figure>");
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = Spark.start("gallery-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void everyImageIsAThumbnailOrANamedPlaceholderAndTheMarksFollowTheLabels() throws IOException {
        List<Row> shards = new ArrayList<>();
        shards.add(raw(1, 28, 28, 1, 200)); // the query: grey, as IDX stores it
        shards.add(raw(2, 32, 32, 3, 0)); // pure blue (raw RGB, as CIFAR's binary files store it)
        shards.add(png(3, 0xff0000, 40, 20)); // a red PNG, twice as high as wide
        shards.add(image(4, "jpeg", "not a JPEG".getBytes(), 8, 8, 3)); // does not decode
        shards.add(raw(5, 28, 28, 1, 90));
        shards.add(raw(6, 28, 28, 1, 30));
        Thumbnails images = Thumbnails.of(spark.createDataFrame(shards, ShardTable.SCHEMA), "not in the shard table t");

        int[] query = {1, 0, 1};
        List<Gallery.Neighbour> neighbours = Arrays.asList(
                new Gallery.Neighbour(1, 2, 0, new int[] {1, 0, 0}, Double.NaN), // shares class 0
                new Gallery.Neighbour(2, 3, 1, new int[] {0, 1, 0}, Double.NaN), // shares none
                new Gallery.Neighbour(3, 4, 1, new int[] {0, 1, 1}, Double.NaN), // shares class 2, image broken
                new Gallery.Neighbour(4, 77, 2, new int[] {0, 1, 0}, Double.NaN), // no such row
                new Gallery.Neighbour(5, 5, 3, new int[] {0, 0, 0}, Double.NaN), // no class at all
                new Gallery.Neighbour(6, 6, 5, new int[] {1, 1, 1}, Double.NaN));
        Gallery g = new Gallery(
                Arrays.asList(
                        new Gallery.Query(1, query, neighbours),
                        new Gallery.Query(88, new int[] {0, 1, 0}, new ArrayList<>())),
                images,
                images,
                Refinement.NONE);
        String html = g.section();
        assertTrue(html.contains("(ascending Hamming distance d, ties by ascending id)"), html);
        assertFalse(html.contains("data-score"), html);

        assertTrue(html.contains("data-queries=\"2\" data-images=\"5\""), html);
        assertEquals(5, count(html, "<img src=\"data:image/png;base64,"));
        boolean[] relevant = {true, false, true, false, false, true};
        Matcher m = FIGURE.matcher(html);
        List<String> kinds = new ArrayList<>(), bodies = new ArrayList<>();
        while (m.find()) {
            kinds.add(m.group(1) + m.group(2));
            bodies.add(m.group(3));
        }
        assertEquals(1 + 6 + 1, kinds.size(), html);
        assertTrue(kinds.get(0).startsWith("g-query"), kinds.get(0));
        for (int r = 0; r < 6; r++) {
            String kind = kinds.get(1 + r), body = bodies.get(1 + r);
            assertTrue(kind.contains("data-rank=\"" + (r + 1) + "\""), kind);
            assertTrue(kind.contains("data-relevant=\"" + relevant[r] + "\""), kind);
            assertTrue(kind.startsWith(relevant[r] ? "g-n g-rel" : "g-n g-irr"), kind);
            assertTrue(body.contains(relevant[r] ? "✓" : "✗"), body);
            assertFalse(body.contains(relevant[r] ? "✗" : "✓"), body);
            assertTrue(body.contains("d=" + neighbours.get(r).distance), body);
        }
        assertTrue(bodies.get(3).contains("no image: id 4, the image does not decode"), bodies.get(3));
        assertTrue(bodies.get(4).contains("no image: id 77, not in the shard table t"), bodies.get(4));
        assertTrue(bodies.get(7).contains("no image: id 88, not in the shard table t"), bodies.get(7));
        assertTrue(html.contains("<p>no neighbours</p>"), html);

        // the thumbnails: 64 px on the longer side, the image's own colours
        assertPixels(images.uri(1), 64, 64, 0xc8c8c8);
        assertPixels(images.uri(2), 64, 64, 0x0000ff);
        assertPixels(images.uri(3), 32, 64, 0xff0000);
        assertNull(images.uri(4));
        assertNull(images.uri(77));

        // re-ranked: the page says how, and each neighbour shows its cosine
        List<Gallery.Neighbour> reranked = Arrays.asList(
                new Gallery.Neighbour(1, 3, 1, new int[] {0, 1, 0}, 0.98765),
                new Gallery.Neighbour(2, 2, 0, new int[] {1, 0, 0}, -0.25));
        String refined = new Gallery(
                        Arrays.asList(new Gallery.Query(1, query, reranked)), images, images, Refinement.top(40))
                .section();
        assertTrue(
                refined.contains("the first 40 by ascending Hamming distance d, ties by ascending id, re-ranked by"
                        + " the cosine c of their int8 continuous codes, higher first"),
                refined);
        Matcher r = FIGURE.matcher(refined);
        List<String> scored = new ArrayList<>();
        while (r.find()) scored.add(r.group(2) + " | " + r.group(3));
        assertEquals(3, scored.size(), refined);
        assertTrue(
                scored.get(1).contains("data-score=\"0.98765\"")
                        && scored.get(1).contains("d=1 c=0.988"),
                scored.get(1));
        assertTrue(
                scored.get(2).contains("data-score=\"-0.25\"") && scored.get(2).contains("d=0 c=-0.250"),
                scored.get(2));
    }

    @Test
    void samplesAreEvenlySpacedAndTheSameEveryTime() {
        long[] ids = new long[100];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 * i + 7;
        assertArrayEquals(new int[] {0, 25, 50, 75}, Gallery.sample(ids, 4));
        assertArrayEquals(new int[] {0, 1, 2}, Gallery.sample(new long[] {5, 9, 11}, 8));
        assertArrayEquals(new int[0], Gallery.sample(ids, 0));
    }

    @Test
    void aPageHoldsTheSectionAndItsCountingScript() {
        String page = Gallery.page("a <title>", "<section id=\"gallery\"></section>");
        assertTrue(page.startsWith("<!DOCTYPE html>"), page);
        assertTrue(page.contains("<title>a &lt;title&gt;</title>"), page);
        assertTrue(page.contains("<section id=\"gallery\"></section>"), page);
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + 1)) n++;
        return n;
    }

    private static void assertPixels(String uri, int width, int height, int rgb) throws IOException {
        String prefix = "data:image/png;base64,";
        assertTrue(uri != null && uri.startsWith(prefix), uri);
        BufferedImage image =
                ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(uri.substring(prefix.length()))));
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        for (int y = 0; y < height; y += 7)
            for (int x = 0; x < width; x += 7)
                assertEquals(Integer.toHexString(rgb), Integer.toHexString(image.getRGB(x, y) & 0xffffff));
    }

    /** Raw pixels of one value in every channel but the last (blue) of a colour image, which is 255. */
    private static Row raw(long id, int height, int width, int channels, int value) {
        byte[] pixels = new byte[height * width * channels];
        for (int p = 0; p < height * width; p++)
            for (int c = 0; c < channels; c++)
                pixels[p * channels + c] = (byte) (channels == 1 ? value : c == 2 ? 255 : value);
        return image(id, "raw", pixels, height, width, channels);
    }

    private static Row png(long id, int rgb, int height, int width) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) image.setRGB(x, y, rgb);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return image(id, "png", out.toByteArray(), height, width, 3);
    }

    private static Row image(long id, String format, byte[] bytes, int height, int width, int channels) {
        return RowFactory.create(
                id, "database", false, new int[] {1}, bytes, format, height, width, channels, "test#" + id);
    }
}
