package io.mlh.jobs.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.intel.analytics.bigdl.utils.Crc32$;
import com.intel.analytics.shaded.protobuf_v_3_5_1.CodedInputStream;
import com.intel.analytics.shaded.protobuf_v_3_5_1.WireFormat;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.encode.EncodeJob;
import io.mlh.jobs.evaluate.EvaluateJob;
import io.mlh.jobs.gallery.Gallery;
import io.mlh.jobs.gallery.GalleryFixture;
import io.mlh.jobs.search.SearchJob;
import io.mlh.jobs.serve.Http;
import io.mlh.jobs.serve.SearchServer;
import io.mlh.jobs.shard.ShardJob;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.CodeTableFixture;
import io.mlh.jobs.train.TrainJob;
import io.mlh.zeppelin.Notebooks;
import io.mlh.zeppelin.ZeppelinProcess;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis side of one real pipeline run on local Spark: 600 Fashion-MNIST images (IDX files cut from the
 * real ones) sharded, trained for two epochs, encoded with the MoH gate weights, evaluated twice (the second
 * report compared with the first). Then: the HTML report and its plots, the TensorBoard event files, the
 * progress lines in the jobs' logs, and every Zeppelin note under {@code notebooks/} run paragraph by paragraph
 * with Spark SQL against these outputs.
 */
class AnalysisPipelineTest {
    private static final int PER_PART = 300, EPOCHS = 2, BITS = 16;
    private static final Path NOTEBOOKS = Paths.get("..", "notebooks");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Level sparkLevel;
    private static final List<String> progressLines = Collections.synchronizedList(new ArrayList<>());
    private static final AppenderSkeleton capture = new AppenderSkeleton() {
        @Override
        protected void append(LoggingEvent event) {
            progressLines.add(event.getRenderedMessage());
        }

        @Override
        public void close() {}

        @Override
        public boolean requiresLayout() {
            return false;
        }
    };
    private static ShardJob.Result shards;
    private static TrainJob.Result trained;
    private static long encoded;
    private static EvaluateJob.Result evaluated, compared;
    private static long neighbours;

    @BeforeAll
    static void runPipeline() throws IOException {
        sparkLevel = Logger.getLogger("org.apache.spark").getLevel();
        Logger.getLogger("org.apache.spark").setLevel(Level.WARN);
        Logger.getLogger(Progress.class).setLevel(Level.INFO);
        Logger.getLogger(Progress.class).addAppender(capture);
        Path idx = Files.createDirectories(dir.resolve("idx"));
        for (String part : new String[] {"train", "t10k"}) cutIdx(part, idx);

        spark = Spark.start("analysis-test", settings());
        spark.conf().set("spark.sql.shuffle.partitions", "4");
        shards = ShardJob.run(spark, settings());
        trained = TrainJob.run(spark, settings());
        encoded = EncodeJob.run(spark, settings("jobs.encode.gates=true"));
        evaluated = EvaluateJob.run(spark, settings());
        // a 32-bit run's report beside this one (its figures by hand: a second real run would double the test's time)
        Path other = dir.resolve("report-32");
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path staging = CommittedOutput.stage(hadoop, other.toString(), false);
        Files.write(
                Paths.get(staging.toUri().getPath()).resolve("metrics.json"),
                "{\"bits\": 32, \"top_k\": 0, \"map\": 0.5}".getBytes(StandardCharsets.UTF_8));
        CommittedOutput.commit(hadoop, staging, other.toString());
        compared = EvaluateJob.run(
                spark,
                settings(
                        "paths.report=" + dir.resolve("report-compared"),
                        "jobs.evaluate.compare-reports=[\"" + dir.resolve("report") + "\", \"" + other + "\"]"));
        neighbours = SearchJob.run(spark, settings());
    }

    @AfterAll
    static void stop() {
        Logger.getLogger(Progress.class).removeAppender(capture);
        if (spark != null) spark.stop();
        Logger.getLogger("org.apache.spark").setLevel(sparkLevel);
    }

    private static JobSettings settings(String... more) {
        List<String> args = new ArrayList<>(Arrays.asList(
                "-",
                "spark.master=local[2]",
                "model.input-channels=1",
                "model.input-size=28",
                "data.mean=[0.286]",
                "data.std=[0.353]",
                "bits=" + BITS,
                "train.batch-size=32",
                "train.epochs=" + EPOCHS,
                "data.root=" + dir.resolve("idx"),
                "data.queries-per-class=5",
                "data.train-per-class=20",
                "data.shards=4",
                "jobs.evaluate.partitions=3",
                "jobs.train.validation-queries=30",
                "jobs.train.validation-database=200",
                "jobs.progress-interval=0s",
                "paths.shards=" + dir.resolve("shards"),
                "paths.model=" + dir.resolve("model"),
                "paths.codes=" + dir.resolve("codes"),
                "paths.report=" + dir.resolve("report"),
                "paths.neighbours=" + dir.resolve("neighbours")));
        args.addAll(Arrays.asList(more));
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }

    /** The first PER_PART images and labels of the real Fashion-MNIST part, as uncompressed IDX files. */
    private static void cutIdx(String part, Path to) throws IOException {
        Path from = Paths.get("/usr/share/datasets/fashion-mnist");
        try (DataInputStream in = new DataInputStream(
                        new GZIPInputStream(Files.newInputStream(from.resolve(part + "-images-idx3-ubyte.gz"))));
                DataOutputStream out =
                        new DataOutputStream(Files.newOutputStream(to.resolve(part + "-images-idx3-ubyte")))) {
            out.writeInt(in.readInt());
            in.readInt();
            out.writeInt(PER_PART);
            int rows = in.readInt(), cols = in.readInt();
            out.writeInt(rows);
            out.writeInt(cols);
            byte[] px = new byte[PER_PART * rows * cols];
            in.readFully(px);
            out.write(px);
        }
        try (DataInputStream in = new DataInputStream(
                        new GZIPInputStream(Files.newInputStream(from.resolve(part + "-labels-idx1-ubyte.gz"))));
                DataOutputStream out =
                        new DataOutputStream(Files.newOutputStream(to.resolve(part + "-labels-idx1-ubyte")))) {
            out.writeInt(in.readInt());
            in.readInt();
            out.writeInt(PER_PART);
            byte[] labels = new byte[PER_PART];
            in.readFully(labels);
            out.write(labels);
        }
    }

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
            assertEquals(10, attribute(body(dom), "data-neighbours"));
            assertEquals(10, attribute(body(dom), "data-decoded"), "neighbour thumbnails the browser decoded");
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
        int images = attribute(section.group(), "data-images"),
                decoded = attribute(section.group(), "data-decoded"),
                top = attribute(section.group(), "data-top"),
                height = attribute(section.group(), "data-height");
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

    private static int attribute(String tag, String name) {
        Matcher m = Pattern.compile(name + "=\"(-?\\d+)\"").matcher(tag);
        assertTrue(m.find(), name + " missing from " + tag);
        return Integer.parseInt(m.group(1));
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

    // ------------------------------------------------------------------------------------------- TensorBoard

    @Test
    void tensorBoardHoldsEveryTermPerEpoch() throws IOException {
        Path board = dir.resolve("model-tensorboard");
        Map<String, TreeMap<Long, Float>> train = scalars(board.resolve("train")),
                validation = scalars(board.resolve("validation"));
        assertEquals(
                new HashSet<>(
                        Arrays.asList("loss/L", "loss/L_C", "loss/L_P", "loss/L_M", "LearningRate", "Throughput")),
                train.keySet());
        for (Map.Entry<String, TreeMap<Long, Float>> e : train.entrySet()) {
            assertEquals(Arrays.asList(1L, 2L), new ArrayList<>(e.getValue().keySet()), e.getKey() + " steps");
        }
        assertEquals((float) trained.lastTerms.total, train.get("loss/L").get((long) EPOCHS), 0f);
        assertEquals((float) trained.lastTerms.mutual, train.get("loss/L_M").get((long) EPOCHS), 0f);
        assertEquals(1e-3f, train.get("LearningRate").get(1L), 1e-9f);
        assertTrue(train.get("Throughput").get(2L) > 0);
        // MLH retrieves with the centre branch; the pairwise branch's mAP is logged beside it
        assertEquals(new HashSet<>(Arrays.asList("mAP", "mAP/pairwise")), validation.keySet());
        for (String tag : validation.keySet()) {
            assertEquals(
                    Arrays.asList(1L, 2L), new ArrayList<>(validation.get(tag).keySet()), tag + " steps");
            for (float map : validation.get(tag).values()) assertTrue(map > 0.1f && map <= 1f, tag + " " + map);
        }
    }

    /** Scalars by tag and step from every event file in a directory, each record's CRCs checked. */
    private static Map<String, TreeMap<Long, Float>> scalars(Path folder) throws IOException {
        Map<String, TreeMap<Long, Float>> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("bigdl.tfevents."))
                    .collect(Collectors.toList());
        }
        assertEquals(1, files.size(), "one event file per run in " + folder);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(files.get(0))).order(ByteOrder.LITTLE_ENDIAN);
        int events = 0;
        while (b.hasRemaining()) {
            byte[] length = new byte[8];
            b.get(length);
            assertEquals((int) Crc32$.MODULE$.maskedCRC32(length), b.getInt(), "length CRC");
            byte[] data = new byte
                    [(int) ByteBuffer.wrap(length)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getLong()];
            b.get(data);
            assertEquals((int) Crc32$.MODULE$.maskedCRC32(data), b.getInt(), "data CRC");
            events++;
            // tensorflow/core/util/event.proto: wall_time = 1, step = 2, file_version = 3, summary = 5
            CodedInputStream event = CodedInputStream.newInstance(data);
            long step = -1;
            double wallTime = 0;
            List<Object[]> values = new ArrayList<>();
            for (int tag; (tag = event.readTag()) != 0; ) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1:
                        wallTime = event.readDouble();
                        break;
                    case 2:
                        step = event.readInt64();
                        break;
                    case 3:
                        assertEquals("brain.Event:2", event.readString());
                        break;
                    case 5:
                        values.addAll(summaryValues(event.readByteArray()));
                        break;
                    default:
                        event.skipField(tag);
                }
            }
            assertTrue(wallTime > 1.5e9, "wall time " + wallTime);
            for (Object[] v : values)
                out.computeIfAbsent((String) v[0], k -> new TreeMap<>()).put(step, (Float) v[1]);
        }
        assertTrue(events > 1);
        return out;
    }

    /** tensorflow/core/framework/summary.proto: Summary.value = 1; Value.tag = 1, simple_value = 2. */
    private static List<Object[]> summaryValues(byte[] summary) throws IOException {
        List<Object[]> out = new ArrayList<>();
        CodedInputStream s = CodedInputStream.newInstance(summary);
        for (int tag; (tag = s.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                s.skipField(tag);
                continue;
            }
            CodedInputStream v = CodedInputStream.newInstance(s.readByteArray());
            String name = null;
            Float value = null;
            for (int t; (t = v.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(t) == 1) name = v.readString();
                else if (WireFormat.getTagFieldNumber(t) == 2) value = v.readFloat();
                else v.skipField(t);
            }
            out.add(new Object[] {name, value});
        }
        return out;
    }

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

    // --------------------------------------------------------------------------------------------- notebooks

    private static final Pattern FORM = Pattern.compile("\\$?\\$\\{([A-Za-z_]\\w*)=([^}]*)}");
    private static final Set<String> INTERPRETERS = new HashSet<>(Arrays.asList("%md", "%spark.sql", "%sql", "%spark"));
    private static final Set<String> CHARTS = new HashSet<>(
            Arrays.asList("table", "multiBarChart", "pieChart", "stackedAreaChart", "lineChart", "scatterChart"));

    /** The notes' forms set to this run's outputs (and a results CSV of the accuracy benchmark's format). */
    private Map<String, String> noteForms() throws IOException {
        // the accuracy benchmark's CSV format (mlh-bench AccuracyBench.HEADER), holding this run's figure
        Path results = dir.resolve("results.csv");
        Files.write(
                results,
                Arrays.asList(
                        "dataset,variant,bits,seed,map,top_k,p_h2,p_at_1000,queries,database,epochs,"
                                + "train_img_s,train_s,encode_s,evaluate_s,finished,commit",
                        "fashion-mnist-600,mlh," + BITS + ",42," + evaluated.map
                                + ",0,0.5,0.5,300,300,2,100.0,10,5,1,2026-11-24T00:00:00Z,test"),
                StandardCharsets.UTF_8);
        Map<String, String> forms = new HashMap<>();
        forms.put("codes", dir.resolve("codes").toString());
        forms.put(
                "reports",
                dir.resolve("{report,report-compared}")
                        .resolve("metrics.json")
                        .toString()); // the real reports (a Hadoop glob)
        forms.put("results", results.toString());
        forms.put("sample", "300");
        forms.put("neighbours", dir.resolve("neighbours").toString());
        return forms;
    }

    @Test
    void everyNoteRunsAgainstThePipelinesOutputs() throws IOException {
        Map<String, String> forms = noteForms();
        List<Path> notes = Notebooks.notes(NOTEBOOKS);
        assertTrue(notes.size() >= 3, "notes in " + NOTEBOOKS.toAbsolutePath() + ": " + notes);
        Set<String> noteIds = new HashSet<>();
        int queries = 0;
        for (Path file : notes) {
            JsonNode note = JSON.readTree(file.toFile());
            String id = note.path("id").asText();
            assertTrue(id.matches("[0-9A-Z]{9}"), file + ": note id " + id);
            assertTrue(noteIds.add(id), file + ": duplicate note id");
            assertTrue(
                    file.getFileName().toString().endsWith("_" + id + ".zpln"),
                    file + ": Zeppelin 0.10 names a note file <name>_<id>.zpln");
            assertTrue(note.path("version").asText().startsWith("0.10"), file + ": version");
            assertFalse(note.path("name").asText().isEmpty(), file + ": name");
            assertTrue(
                    note.path("config").isObject()
                            && note.path("info").isObject()
                            && note.path("angularObjects").isObject(),
                    file.toString());
            assertTrue(
                    note.path("paragraphs").isArray() && note.path("paragraphs").size() > 1, file + ": paragraphs");
            Set<String> paragraphIds = new HashSet<>();
            for (JsonNode p : note.get("paragraphs")) {
                String where = file.getFileName() + " / " + p.path("title").asText();
                assertTrue(
                        paragraphIds.add(p.path("id").asText())
                                && !p.path("id").asText().isEmpty(),
                        where + ": paragraph id");
                assertTrue(p.path("config").isObject(), where);
                assertTrue(
                        p.path("settings").path("params").isObject()
                                && p.path("settings").path("forms").isObject(),
                        where + ": settings");
                String text = p.path("text").asText();
                String interpreter = text.split("\\s", 2)[0];
                assertTrue(INTERPRETERS.contains(interpreter), where + ": interpreter " + interpreter);
                if (!interpreter.equals("%spark.sql") && !interpreter.equals("%sql")) continue;

                String sql = substitute(text.substring(interpreter.length()), forms, where);
                Dataset<Row> result = spark.sql(sql);
                boolean creates = sql.trim().toUpperCase(Locale.ROOT).startsWith("CREATE");
                Dataset<Row> rows = creates ? spark.table(viewName(sql)) : result;
                List<Row> got = rows.limit(1000).collectAsList();
                assertFalse(got.isEmpty(), where + " returned no rows");
                queries++;
                JsonNode graph = p.path("config").path("results").path("0").path("graph");
                if (!graph.isMissingNode()) {
                    assertTrue(CHARTS.contains(graph.path("mode").asText()), where + ": chart " + graph.path("mode"));
                    List<String> columns = Arrays.asList(rows.columns());
                    for (String part : new String[] {"keys", "groups", "values"}) {
                        for (JsonNode c : graph.path(part)) {
                            assertTrue(
                                    columns.contains(c.path("name").asText()),
                                    where + ": chart " + part + " " + c.path("name") + " not in " + columns);
                        }
                    }
                }
            }
        }
        assertTrue(queries >= 15, "SQL paragraphs run: " + queries);
        checkFiguresAgainstTheOutputs();
    }

    /**
     * Every note in a real Zeppelin server (the zeppelin module's ZEPPELIN_HOME, its own process on
     * 127.0.0.1), imported through the REST API with its forms set to this run's outputs and run
     * paragraph by paragraph: each SUCCESS, each SQL result a TABLE with the columns and the row count
     * the same SQL gives on Spark directly, and every column its chart uses; then the server and every
     * interpreter process it started are stopped.
     */
    @Test
    void everyNoteRunsInARealZeppelinServer() throws Exception {
        Map<String, String> forms = noteForms();
        forms.put("reports", dir.resolve("report").resolve("metrics.json").toString()); // a form holds no '{}' glob
        Path home = Paths.get("..", "zeppelin", "target", "zeppelin-home")
                .toAbsolutePath()
                .normalize();
        List<String> pids = new ArrayList<>();
        int tables = 0, texts = 0;
        try (ZeppelinProcess z =
                ZeppelinProcess.start(home, Files.createDirectories(dir.resolve("zeppelin")), 0, 180)) {
            for (Path file : Notebooks.notes(NOTEBOOKS)) {
                String id = z.importNote(
                        Notebooks.withForms(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), forms));
                JsonNode original = JSON.readTree(file.toFile());
                JsonNode imported = JSON.readTree(z.request("GET", "notebook/" + id, null).body)
                        .path("body");
                assertEquals(
                        original.path("paragraphs").size(),
                        imported.path("paragraphs").size(),
                        file.toString());
                for (int i = 0; i < imported.path("paragraphs").size(); i++) {
                    JsonNode p = imported.path("paragraphs").get(i);
                    String where = file.getFileName() + " / " + p.path("title").asText();
                    ZeppelinProcess.Answer run = z.runParagraph(id, p.path("id").asText());
                    assertEquals(200, run.status, where + ": " + run.body);
                    JsonNode result = JSON.readTree(run.body).path("body");
                    assertEquals("SUCCESS", result.path("code").asText(), where + ": " + run.body);
                    String text =
                            original.path("paragraphs").get(i).path("text").asText();
                    String interpreter = text.split("\\s", 2)[0];
                    if (interpreter.equals("%md")) {
                        assertEquals(
                                "HTML", result.path("msg").get(0).path("type").asText(), where);
                        texts++;
                        continue;
                    }
                    String sql = substitute(text.substring(interpreter.length()), forms, where);
                    Dataset<Row> direct = spark.sql(sql); // a view, too, so that later paragraphs compare alike
                    if (sql.trim().toUpperCase(Locale.ROOT).startsWith("CREATE")) continue;
                    JsonNode table = result.path("msg").get(0);
                    assertEquals("TABLE", table.path("type").asText(), where + ": " + run.body);
                    String[] lines = table.path("data").asText().split("\n");
                    List<String> columns = Arrays.asList(lines[0].split("\t"));
                    assertEquals(Arrays.asList(direct.columns()), columns, where + ": columns");
                    assertEquals(Math.min(1000, direct.count()), lines.length - 1, where + ": rows");
                    assertTrue(lines.length > 1, where + " returned no rows");
                    for (String line : lines)
                        assertFalse(Arrays.asList(line.split("\t")).contains("NaN"), where + ": a NaN cell in " + line);
                    JsonNode graph = original.path("paragraphs")
                            .get(i)
                            .path("config")
                            .path("results")
                            .path("0")
                            .path("graph");
                    for (String part : new String[] {"keys", "groups", "values"})
                        for (JsonNode c : graph.path(part))
                            assertTrue(columns.contains(c.path("name").asText()), where + ": chart " + part + " " + c);
                    tables++;
                }
            }
            File[] running = z.dir().resolve("run").toFile().listFiles((d, n) -> n.endsWith(".pid"));
            for (File f : running) pids.add(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8).trim());
        }
        assertEquals(2, pids.size(), "interpreter processes (md, spark): " + pids);
        for (String pid : pids)
            assertFalse(ZeppelinProcess.alive(pid), "interpreter process " + pid + " outlived the server");
        assertTrue(texts >= 3 && tables >= 14, texts + " markdown and " + tables + " SQL table results");
    }

    /** Spot checks that the notes' views hold the outputs' own figures (the views of the last notes run). */
    private void checkFiguresAgainstTheOutputs() {
        Row gates = spark.sql(
                        "SELECT count(*), min(s), max(s) FROM (SELECT aggregate(gate_centre, 0D, (a, w) -> a + w) AS s FROM mlh_codes)")
                .first();
        assertEquals(2L * PER_PART, gates.getLong(0));
        assertEquals(1.0, gates.getDouble(1), 1e-4, "gate weights sum to 1");
        assertEquals(1.0, gates.getDouble(2), 1e-4, "gate weights sum to 1");
        // the SQL popcount against Java's, on the table's own words
        for (Row r : spark.sql("SELECT code[0], length(replace(bin(code[0]), '0', '')) FROM mlh_codes LIMIT 50")
                .collectAsList()) {
            assertEquals(Long.bitCount(r.getLong(0)), r.getInt(1));
        }
        Row reports = spark.sql("SELECT count(*), max(map) FROM mlh_reports").first();
        assertEquals(2L, reports.getLong(0), "both reports read");
        assertEquals(evaluated.map, reports.getDouble(1), 0.0);
    }

    /** Zeppelin's simple forms ({@code ${name=default}}, note forms {@code $${name=default}}) as Zeppelin fills them. */
    private static String substitute(String text, Map<String, String> forms, String where) {
        Matcher m = FORM.matcher(text);
        StringBuffer out = new StringBuffer();
        while (m.find()) {
            String value = forms.getOrDefault(m.group(1), m.group(2));
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        assertFalse(out.toString().contains("${"), where + ": a form without a default");
        return out.toString();
    }

    private static String viewName(String createSql) {
        Matcher m = Pattern.compile("(?i)VIEW\\s+(\\w+)").matcher(createSql);
        assertTrue(m.find(), createSql);
        return m.group(1);
    }
}
