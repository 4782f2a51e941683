package io.mlh.jobs.analysis;

import static io.mlh.jobs.analysis.AnalysisPipeline.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.jobs.evaluate.EvaluateJob;
import io.mlh.jobs.gallery.Gallery;
import io.mlh.jobs.gallery.GalleryFixture;
import io.mlh.jobs.search.SearchJob;
import io.mlh.jobs.serve.Http;
import io.mlh.jobs.serve.SearchServer;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.CodeTableFixture;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Search on the analysis pipeline's real codes: the search job from every query source against a
 * brute-force ranking, the query service answering an image as the encode and search jobs do, and query
 * images that do not decode named or listed as rejects.
 */
@ExtendWith(AnalysisPipeline.Use.class)
class PipelineSearchTest {
    // ------------------------------------------------------------------------------------------------ search

    /**
     * The search job on the trained model's own codes (many ties: 16 bits, ten classes): the neighbours
     * of the code table's queries equal a brute-force ranking of the table, and encoding the same images
     * on the fly (from the shard table, and from the IDX files themselves) finds the same neighbours.
     */
    @Test
    void searchOnTheRealCodesEqualsBruteForceFromEveryQuerySource() throws IOException {
        List<Row> table = spark.read()
                .parquet(dir.resolve("codes").toString())
                .select("id", "split", "code")
                .collectAsList();
        List<String> expected = new ArrayList<>();
        for (Row q : table) {
            if (!q.getString(1).equals("query")) continue;
            List<Row> database = new ArrayList<>();
            for (Row r : table) if (r.getString(1).equals("database")) database.add(r);
            database.sort(Comparator.<Row>comparingInt(r -> hamming(q, r)).thenComparingLong(r -> r.getLong(0)));
            for (int rank = 1; rank <= 10; rank++) {
                Row r = database.get(rank - 1);
                expected.add(q.getLong(0) + " #" + rank + " " + r.getLong(0) + " d=" + hamming(q, r));
            }
        }
        expected.sort(null);
        assertEquals(expected.size(), neighbours);
        assertEquals(expected, neighbourLines(dir.resolve("neighbours"), null), "code-table queries");

        SearchJob.run(spark, settings("jobs.search.queries=shards", "paths.neighbours=" + dir.resolve("n-shards")));
        assertEquals(expected, neighbourLines(dir.resolve("n-shards"), null), "shard-table queries");
        SearchJob.run(
                spark,
                settings(
                        "jobs.search.queries=source",
                        "jobs.search.gallery-queries=5",
                        "paths.neighbours=" + dir.resolve("n-source")));
        Set<Long> queries = new HashSet<>();
        for (Row q : table) if (q.getString(1).equals("query")) queries.add(q.getLong(0));
        assertEquals(expected, neighbourLines(dir.resolve("n-source"), queries), "the IDX images as queries");
        Row source = spark.read()
                .parquet(dir.resolve("n-source").toString())
                .filter("rank = 1")
                .orderBy("query_id")
                .first();
        assertTrue(source.getString(6).contains("-images-idx3-ubyte#"), "query_source " + source.getString(6));

        // its gallery: the query images read from the IDX files, the neighbours' from the shard table
        GalleryFixture g = GalleryFixture.parse(
                new String(Files.readAllBytes(dir.resolve("n-source").resolve(Gallery.PAGE)), StandardCharsets.UTF_8));
        assertEquals(5, g.queries);
        assertEquals(5 * 11, g.images, "a thumbnail for every query and neighbour");
        assertEquals(
                GalleryFixture.ofTable(
                        spark.read().parquet(dir.resolve("n-source").toString()).collectAsList(), g.shown),
                g.lines);
    }

    /**
     * Re-ranked (R = 40) on the real codes, the same order wherever it is made: the search job's neighbours
     * of the code table's queries equal a brute-force re-ranking of the table (the first R by Hamming,
     * then by the cosine of the int8 codes the encode job wrote, ties by id); the shard images encoded
     * on the fly find the same lists and scores; the query service answers an uploaded image with them,
     * and its search page shows them in a real browser. The evaluate job's report, re-ranked alike, shows
     * the same lists and cosines in its gallery, and the browser decodes every thumbnail.
     */
    @Test
    void reRankingOnTheRealCodesIsTheSameFromEveryQuerySource() throws Exception {
        String[] refine = {"jobs.rerank.mode=refine", "jobs.rerank.candidates=40"};
        List<Row> table = spark.read()
                .parquet(dir.resolve("codes").toString())
                .select("id", "split", "code", CodeTable.CONTINUOUS_INT8)
                .collectAsList();
        List<String> expected = new ArrayList<>(), unscored = new ArrayList<>();
        for (Row q : table) {
            if (!q.getString(1).equals("query")) continue;
            List<Row> database = new ArrayList<>();
            for (Row r : table) if (r.getString(1).equals("database")) database.add(r);
            database.sort(Comparator.<Row>comparingInt(r -> hamming(q, r)).thenComparingLong(r -> r.getLong(0)));
            database.subList(0, 40)
                    .sort(Comparator.<Row>comparingDouble(r -> -cosine(q, r)).thenComparingLong(r -> r.getLong(0)));
            for (int rank = 1; rank <= 10; rank++) {
                Row r = database.get(rank - 1);
                String line = q.getLong(0) + " #" + rank + " " + r.getLong(0) + " d=" + hamming(q, r);
                expected.add(line + " s=" + cosine(q, r));
                unscored.add(line);
            }
        }
        expected.sort(null);
        unscored.sort(null);
        SearchJob.run(spark, settings(refine[0], refine[1], "paths.neighbours=" + dir.resolve("n-refined")));
        assertEquals(expected, scoredLines(dir.resolve("n-refined")), "code-table queries, re-ranked");
        assertTrue(
                !unscored.equals(neighbourLines(dir.resolve("neighbours"), null)),
                "re-ranking changed no list: the test would not see it missing");
        SearchJob.run(
                spark,
                settings(
                        refine[0],
                        refine[1],
                        "jobs.search.queries=shards",
                        "paths.neighbours=" + dir.resolve("n-refined-shards")));
        assertEquals(expected, scoredLines(dir.resolve("n-refined-shards")), "shard-table queries, re-ranked");

        Map<Long, List<String>> searched = new TreeMap<>();
        for (Row r : spark.read()
                .parquet(dir.resolve("n-refined").toString())
                .orderBy("query_id", "rank")
                .collectAsList())
            searched.computeIfAbsent(r.getLong(0), q -> new ArrayList<>())
                    .add(r.getLong(2) + " s=" + r.getDouble(r.fieldIndex("score")));
        List<Row> images = spark.read()
                .parquet(dir.resolve("shards").toString())
                .filter("split = 'query'")
                .orderBy("id")
                .limit(6)
                .select("id", "image", "height", "width")
                .collectAsList();
        ObjectMapper json = new ObjectMapper();
        try (SearchServer server = SearchServer.start(spark, settings(refine[0], refine[1], "jobs.serve.port=0"))) {
            for (Row image : images) {
                Http.Response r = Http.request(
                        server,
                        "POST",
                        "search",
                        "image/png",
                        png((byte[]) image.get(1), image.getInt(2), image.getInt(3)));
                assertEquals(200, r.status, r.body);
                List<String> answer = new ArrayList<>();
                for (JsonNode n : json.readTree(r.body).get("neighbours"))
                    answer.add(n.get("id").asLong() + " s=" + n.get("score").asDouble());
                assertEquals(searched.get(image.getLong(0)), answer, "image query " + image.getLong(0));
            }
            HeadlessChromium chromium = HeadlessChromium.find(Files.createDirectories(dir.resolve("chromium-rerank")));
            long id = images.get(0).getLong(0);
            String dom = chromium.dumpDom(server.uri() + "?image=image/" + id);
            assertTrue(dom.contains("data-state=\"done\""), "the page did not finish its search:\n" + dom);
            assertTrue(dom.contains("the first 40 re-ranked by the cosine c"), "the page does not say how it ranked");
            List<String> shown = new ArrayList<>();
            Matcher figure = Pattern.compile(
                            "<figure data-id=\"(\\d+)\" data-distance=\"\\d+\" data-score=\"([^\"]+)\">")
                    .matcher(dom);
            while (figure.find()) shown.add(figure.group(1) + " s=" + Double.parseDouble(figure.group(2)));
            assertEquals(searched.get(id), shown, "the search page's neighbours of query " + id);
        }

        Path report = dir.resolve("report-refined");
        EvaluateJob.run(spark, settings(refine[0], refine[1], "paths.report=" + report));
        GalleryFixture hamming = GalleryFixture.parse(read(dir.resolve("report").resolve("report.html"))),
                gallery = GalleryFixture.parse(read(report.resolve("report.html")));
        assertEquals(hamming.shown, gallery.shown, "the same queries shown");
        assertEquals(
                GalleryFixture.ofTable(
                        spark.read()
                                .parquet(dir.resolve("n-refined").toString())
                                .collectAsList(),
                        gallery.shown),
                gallery.lines,
                "the re-ranked report's gallery");
        String page = HeadlessChromium.find(Files.createDirectories(dir.resolve("chromium-rerank-report")))
                .dumpDom(report.resolve("report.html"));
        Matcher section = Pattern.compile("<section id=\"gallery\"[^>]*>").matcher(page);
        assertTrue(section.find(), "no gallery in the browser's DOM");
        assertEquals(
                gallery.images,
                HeadlessChromium.attribute(section.group(), "data-decoded"),
                "thumbnails the browser decoded");
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /**
     * The query service with the trained model and its code table: a query image uploaded as PNG (raw
     * and as a form) is encoded to the code the encode job wrote for it, and answered with the
     * neighbours the search job wrote; a broken upload is a 400 with its reason; a table of other
     * hash centres refuses to start, naming both.
     */
    @Test
    void theQueryServiceAnswersAnImageAsTheEncodeAndSearchJobsDo() throws Exception {
        Map<Long, String> codes = new HashMap<>();
        for (Row r : spark.read()
                .parquet(dir.resolve("codes").toString())
                .select("id", "code")
                .collectAsList())
            codes.put(
                    r.getLong(0),
                    SearchServer.hex(new long[] {r.<Long>getList(1).get(0)}));
        Map<Long, List<Long>> searched = new TreeMap<>();
        for (Row r : spark.read()
                .parquet(dir.resolve("neighbours").toString())
                .orderBy("query_id", "rank")
                .collectAsList())
            searched.computeIfAbsent(r.getLong(0), q -> new ArrayList<>()).add(r.getLong(2));
        List<Row> images = spark.read()
                .parquet(dir.resolve("shards").toString())
                .filter("split = 'query'")
                .orderBy("id")
                .limit(12)
                .select("id", "image", "height", "width")
                .collectAsList();
        ObjectMapper json = new ObjectMapper();
        // one encoder, so that concurrent queries share forward passes
        try (SearchServer server = SearchServer.start(spark, settings("jobs.serve.port=0", "jobs.serve.encoders=1"))) {
            for (Row image : images) {
                long id = image.getLong(0);
                byte[] png = png((byte[]) image.get(1), image.getInt(2), image.getInt(3));
                Http.Response raw = Http.request(server, "POST", "search", "image/png", png);
                assertEquals(200, raw.status, raw.body);
                JsonNode answer = json.readTree(raw.body);
                assertEquals(codes.get(id), answer.get("code").asText(), "query " + id + ": the encode job's code");
                List<Long> ids = new ArrayList<>();
                for (JsonNode n : answer.get("neighbours")) ids.add(n.get("id").asLong());
                assertEquals(searched.get(id), ids, "query " + id + ": the search job's neighbours");
                double encode = answer.get("encode_ms").asDouble(),
                        forward = answer.get("forward_ms").asDouble();
                assertTrue(
                        forward > 0 && forward <= encode, "network " + forward + " ms of encoding " + encode + " ms");

                String[] form = Http.multipart(png, id + ".png", "k", "3");
                Http.Response posted = Http.request(server, "POST", "search", form[0], form[1]);
                assertEquals(200, posted.status, posted.body);
                List<Long> three = new ArrayList<>();
                for (JsonNode n : json.readTree(posted.body).get("neighbours"))
                    three.add(n.get("id").asLong());
                assertEquals(searched.get(id).subList(0, 3), three, "query " + id + " as a form, k = 3");
            }
            // every image at once, three times over: each answer has its own image's code, whatever pass it was in
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(6);
            List<java.util.concurrent.Future<String>> concurrent = new ArrayList<>();
            for (int round = 0; round < 3; round++)
                for (Row image : images)
                    concurrent.add(clients.submit(() -> {
                        byte[] body = png((byte[]) image.get(1), image.getInt(2), image.getInt(3));
                        Http.Response r = Http.request(server, "POST", "search", "image/png", body);
                        assertEquals(200, r.status, r.body);
                        JsonNode a = json.readTree(r.body);
                        assertEquals(codes.get(image.getLong(0)), a.get("code").asText(), "query " + image.getLong(0));
                        return a.get("forward_images").asText();
                    }));
            Map<String, Integer> passSizes = new TreeMap<>();
            for (java.util.concurrent.Future<String> f : concurrent) passSizes.merge(f.get(), 1, Integer::sum);
            clients.shutdown();
            System.out.println("concurrent image queries by the images of their forward pass: " + passSizes);

            byte[] png = png((byte[]) images.get(0).get(1), 28, 28);
            Http.Response cut = Http.request(server, "POST", "search", "image/png", Arrays.copyOf(png, png.length / 2));
            assertEquals(400, cut.status, cut.body);
            assertTrue(json.readTree(cut.body).get("error").asText().startsWith("the image does not decode"), cut.body);
            Http.Response text = Http.request(server, "POST", "search", "image/png", "not an image");
            assertEquals(400, text.status, text.body);
            assertTrue(text.body.contains("is not a JPEG or PNG image"), text.body);
            JsonNode stats = json.readTree(Http.request(server, "GET", "stats", null, (String) null).body);
            assertEquals(5 * images.size(), stats.get("requests").get("image").asInt());
            assertTrue(stats.get("images").asBoolean());
            assertTrue(stats.get("image_forward_ms").get("p50").asDouble() > 0, stats.toString());

            // the search page in a real browser: a shard-table image fetched and sent as an upload is
            long id = images.get(3).getLong(0);
            String page = server.uri() + "?image=image/" + id;
            HeadlessChromium chromium = HeadlessChromium.find(Files.createDirectories(dir.resolve("chromium-serve")));
            String dom = chromium.dumpDom(page);
            assertTrue(dom.contains("data-state=\"done\""), "the page did not finish its search:\n" + dom);
            assertEquals(10, HeadlessChromium.attribute(body(dom), "data-neighbours"));
            assertEquals(
                    10,
                    HeadlessChromium.attribute(body(dom), "data-decoded"),
                    "neighbour thumbnails the browser decoded");
            List<Long> shown = new ArrayList<>();
            Matcher figure = Pattern.compile("<figure data-id=\"(\\d+)\"").matcher(dom);
            while (figure.find()) shown.add(Long.parseLong(figure.group(1)));
            assertEquals(searched.get(id), shown, "the page shows the search job's neighbours, in order");
            BufferedImage shot =
                    ImageIO.read(chromium.screenshot(page, 1200, 700).toFile());
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < shot.getHeight(); y++)
                for (int x = 0; x < shot.getWidth(); x++) colours.add(shot.getRGB(x, y) & 0xffffff);
            assertTrue(colours.size() > 50, "the page's screenshot holds " + colours.size() + " colours: no images");
        }

        List<Row> others = CodeTableFixture.codes(50, BITS, 3, 0);
        Path elsewhere = CodeTableFixture.commit(
                spark, dir.resolve("codes-elsewhere"), others, new CodeTable.Provenance(repeat('e', 64), "centre"));
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> SearchServer.start(spark, settings("jobs.serve.port=0", "paths.codes=" + elsewhere)));
        assertTrue(refused.getMessage().contains("the model bundle " + dir.resolve("model")), refused.getMessage());
        assertTrue(refused.getMessage().contains(elsewhere.toString()), refused.getMessage());
    }

    private static String body(String dom) {
        Matcher m = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(m.find(), "no body in the DOM");
        return m.group();
    }

    /**
     * A service with a search token, in a real browser: the page opened without the token is refused
     * and shows the token field; opened from a link carrying it in the fragment ({@code #token=...}, never
     * sent to the server), it fetches the image and searches with it.
     */
    @Test
    void theSearchPageSearchesWithTheTokenOfItsLink() throws Exception {
        Path token = Files.write(dir.resolve("search.token"), "page-t0ken".getBytes(StandardCharsets.UTF_8));
        long id = spark.read()
                .parquet(dir.resolve("shards").toString())
                .filter("split = 'query'")
                .orderBy("id")
                .select("id")
                .first()
                .getLong(0);
        try (SearchServer server =
                SearchServer.start(spark, settings("jobs.serve.port=0", "jobs.serve.search-token-file=" + token))) {
            HeadlessChromium chromium = HeadlessChromium.find(Files.createDirectories(dir.resolve("chromium-token")));
            String page = server.uri() + "?image=image/" + id;
            String refused = chromium.dumpDom(page);
            assertTrue(refused.contains("data-state=\"refused\""), "opened without the token:\n" + refused);
            assertTrue(refused.contains("<label id=\"token-label\">"), "no token field shown:\n" + refused);
            String dom = chromium.dumpDom(page + "#token=page-t0ken");
            assertTrue(dom.contains("data-state=\"done\""), "the page did not finish its search:\n" + dom);
            assertEquals(10, HeadlessChromium.attribute(body(dom), "data-neighbours"));
            assertEquals(10, HeadlessChromium.attribute(body(dom), "data-decoded"));
        }
    }

    /**
     * Uploads beyond {@code jobs.serve.max-uploads} are told to come back: while one upload's body is
     * still arriving it holds the only place, a second gets 503 with Retry-After, and once the first has
     * its answer the place is free again.
     */
    @Test
    void uploadsBeyondTheLimitAreToldToRetry() throws Exception {
        Row image = spark.read()
                .parquet(dir.resolve("shards").toString())
                .filter("split = 'query'")
                .orderBy("id")
                .select("image", "height", "width")
                .first();
        byte[] png = png((byte[]) image.get(0), image.getInt(1), image.getInt(2));
        try (SearchServer server =
                SearchServer.start(spark, settings("jobs.serve.port=0", "jobs.serve.max-uploads=1"))) {
            try (Socket slow = new Socket(server.uri().getHost(), server.uri().getPort())) {
                OutputStream out = slow.getOutputStream();
                out.write(("POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: "
                                + png.length + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(png, 0, 16);
                out.flush();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (JSON.readTree(Http.request(server, "GET", "stats", null, (String) null).body)
                                .path("requests")
                                .path("uploads_in_progress")
                                .asInt()
                        != 1) {
                    assertTrue(System.nanoTime() < end, "the first upload never started");
                    Thread.sleep(20);
                }
                Http.Response refused = Http.request(server, "POST", "search", "image/png", png);
                assertEquals(503, refused.status, refused.body);
                assertEquals("1", refused.retryAfter);
                assertTrue(refused.body.contains("jobs.serve.max-uploads"), refused.body);
                out.write(png, 16, png.length - 16);
                out.flush();
                String status = new java.io.BufferedReader(
                                new java.io.InputStreamReader(slow.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                assertEquals("HTTP/1.1 200 OK", status);
            }
            assertEquals(
                    200, Http.request(server, "POST", "search", "image/png", png).status, "the place is free again");
        }
    }

    private static byte[] png(byte[] grey, int height, int width) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, width, height, grey);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static String repeat(char c, int n) {
        char[] a = new char[n];
        Arrays.fill(a, c);
        return new String(a);
    }

    /**
     * Query images from a folder, one of which does not decode: the search stops naming it, and with
     * {@code data.on-bad-record=skip} lists it in the rejects table and ranks the others.
     */
    @Test
    void aQueryImageThatDoesNotDecodeIsNamedOrListedAsAReject() throws IOException {
        Path root = dir.resolve("query-images");
        for (int c = 2; c < 10; c++)
            Files.createDirectories(root.resolve("train").resolve("class-" + c));
        Path images = Files.createDirectories(root.resolve("train").resolve("class-0"));
        Path other = Files.createDirectories(root.resolve("train").resolve("class-1"));
        byte[] pixels = new byte[28 * 28];
        try (DataInputStream in =
                new DataInputStream(Files.newInputStream(dir.resolve("idx/t10k-images-idx3-ubyte")))) {
            in.skipBytes(16);
            in.readFully(pixels);
        }
        BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setDataElements(0, 0, 28, 28, pixels);
        ImageIO.write(grey, "png", images.resolve("a.png").toFile());
        ImageIO.write(grey, "png", other.resolve("b.png").toFile());
        Files.write(other.resolve("broken.jpg"), "not a JPEG".getBytes(StandardCharsets.UTF_8));
        String[] folder = {
            "jobs.search.queries=source",
            "data.source=folder",
            "data.root=" + root,
            "data.folder-split=train",
            "data.queries-per-class=0",
            "data.train-per-class=0"
        };
        Path failed = dir.resolve("n-broken");
        List<String> args = new ArrayList<>(Arrays.asList(folder));
        args.add("paths.neighbours=" + failed);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                Exception.class, () -> SearchJob.run(spark, settings(args.toArray(new String[0]))));
        assertTrue(e.getMessage().contains("broken.jpg"), "the failure does not name the image: " + e);
        assertFalse(Files.exists(failed) || Files.exists(dir.resolve("n-broken-rejects")), "a failed search wrote");

        Path skipped = dir.resolve("n-skipped");
        args.set(args.size() - 1, "paths.neighbours=" + skipped);
        args.add("data.on-bad-record=skip");
        long rows = SearchJob.run(spark, settings(args.toArray(new String[0])));
        assertEquals(20, rows, "two queries, ten neighbours each");
        List<Row> rejects = spark.read()
                .parquet(dir.resolve("n-skipped-rejects").toString())
                .collectAsList();
        assertEquals(1, rejects.size(), rejects.toString());
        assertTrue(rejects.get(0).getString(0).endsWith("broken.jpg"), rejects.toString());
        List<Row> first = spark.read()
                .parquet(skipped.toString())
                .filter("rank = 1")
                .orderBy("query_id")
                .collectAsList();
        assertEquals(2, first.size());
        assertEquals(first.get(0).getInt(3), first.get(1).getInt(3), "the same image twice: the same nearest distance");
    }

    private static int hamming(Row a, Row b) {
        List<Long> x = a.getList(2), y = b.getList(2);
        int d = 0;
        for (int w = 0; w < x.size(); w++) d += Long.bitCount(x.get(w) ^ y.get(w));
        return d;
    }

    private static double cosine(Row a, Row b) {
        byte[] x = (byte[]) a.get(3), y = (byte[]) b.get(3);
        return io.mlh.core.codes.Int8Codes.cosine(x, 0, y, 0, x.length);
    }

    /** "query #rank id d=distance s=score" of a re-ranked neighbours table, sorted. */
    private static List<String> scoredLines(Path table) {
        List<String> lines = new ArrayList<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList())
            lines.add(r.getLong(0) + " #" + r.getInt(1) + " " + r.getLong(2) + " d=" + r.getInt(3) + " s="
                    + r.getDouble(r.fieldIndex("score")));
        lines.sort(null);
        return lines;
    }

    /** "query #rank id d=distance" of a neighbours table, sorted; only the queries in {@code of} unless null. */
    private static List<String> neighbourLines(Path table, Set<Long> of) {
        List<String> lines = new ArrayList<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList()) {
            if (of == null || of.contains(r.getLong(0)))
                lines.add(r.getLong(0) + " #" + r.getInt(1) + " " + r.getLong(2) + " d=" + r.getInt(3));
        }
        lines.sort(null);
        return lines;
    }
}
