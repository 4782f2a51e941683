package io.mlh.jobs.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.index.LoadedCodes;
import io.mlh.jobs.inference.ImageEncoder;
import io.mlh.jobs.tables.CodeSplit;
import io.mlh.jobs.tables.CodeTable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.log4j.Logger;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mlh-serve} ({@code --class io.mlh.jobs.serve.SearchServer mlh-encode.jar}): answers a code or
 * an image with its nearest rows of a committed code table, from memory.
 *
 * <ul>
 *   <li>{@code POST /search}: a code as JSON or an image (JPEG / PNG, raw or a multipart form's
 *       {@code image}), {@code k} and {@code max-distance} ({@link SearchRequest}) -> JSON neighbours
 *       ({@code id}, {@code distance}, {@code labels}), nearest first, ties by ascending id: the lists
 *       {@code mlh-search} writes.
 *   <li>{@code GET /}: a page to search with an uploaded image, showing the neighbours' thumbnails
 *       ({@code POST /search?thumbnails=1} adds them from the shard table; {@code GET /image/<id>} is a
 *       shard-table image as PNG).
 *   <li>{@code GET /health} (503 "loading" until the table and the model are loaded, then the table and
 *       since when it serves), {@code GET /stats} (the table, rows, bits, requests, latency percentiles).
 *   <li>{@code POST /reload}: loads the table at the same path again (committed since, say) and swaps
 *       it in whole; requests in flight finish on the one they started with; a table that cannot serve
 *       is refused (409) and the old one serves on.
 * </ul>
 *
 * Who may call what ({@link AccessToken}): {@code /reload} needs the admin token when one is set, and
 * one must be set to bind beyond loopback; searches need the search token when one is set.
 *
 * The HTTP server is the JDK's own ({@code com.sun.net.httpserver}): no dependency to ship beside
 * Spark's, whose Jetty versions a cluster fixes, and requests are small JSON or one image, which its
 * thread-pool model serves well. The table and the model are read through Spark (any Hadoop path),
 * on the session the service starts ({@code spark.master}, by default {@code local[*]}).
 */
public final class SearchServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SearchServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JobSettings settings;
    private final ServeSettings p;
    /** Image uploads between their first byte and their code: each holds a body and a decoded image. */
    private final Semaphore uploads;

    private final AccessToken admin; // null: POST /reload is open (loopback only)
    private final AccessToken searchToken; // null: POST /search and GET /image/<id> are open

    // set once by load(), in this order: a request that sees the index sees the rest
    private volatile SparkSession spark;
    private volatile QueryImages images; // null without a model bundle
    private volatile ShardImages shardImages;
    private final AtomicReference<ServingIndex> index = new AtomicReference<>(); // null while loading
    private final Instant listening = Instant.now();

    private final Object reloading = new Object();
    /** The last reload that was refused and why ("" when none was), for /health. */
    private volatile String refusedReload = "";

    private final HttpServer http;
    private final ExecutorService workers;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private final LatencyHistogram codeLatency = new LatencyHistogram(),
            imageLatency = new LatencyHistogram(),
            forwardLatency = new LatencyHistogram();
    private final AtomicLong refused = new AtomicLong(), failed = new AtomicLong(), reloads = new AtomicLong();

    public static final Command COMMAND = new Command(
            "mlh-serve",
            "mlh-encode.jar",
            SearchServer.class,
            "Serves a code table's nearest rows over HTTP (POST /search with a code or an image, GET / a search\n"
                    + "page, /health, /stats, POST /reload) until stopped.",
            Command.keys(
                    Arrays.asList(ServeSettings.class, JobSettings.class), MlhConfig.ENCODE_BRANCH, MlhConfig.ENGINE));

    public static void main(String[] args) {
        COMMAND.main(args, s -> {
            // listening before Spark starts and the table loads: a load balancer sees "loading" (503) on
            // /health rather than a refused connection, and waits
            try (SearchServer server = listen(s)) {
                Runtime.getRuntime().addShutdownHook(new Thread(server::close, "mlh-serve-stop"));
                SparkSession spark = Spark.start(COMMAND.name(), s);
                try {
                    server.load(spark);
                    System.out.println(COMMAND.name() + ": " + server.uri());
                    server.stopped.await();
                } finally {
                    spark.stop();
                }
            }
        });
    }

    /**
     * Loads the table (and the model bundle, if {@code paths.model} is set), refusing a pair whose codes
     * cannot be ranked against each other; returns once it answers. Nothing is left listening if it fails.
     */
    public static SearchServer start(SparkSession spark, JobSettings s) throws IOException {
        SearchServer server = listen(s);
        try {
            server.load(spark);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /**
     * Listens at once, answering every request but {@code GET /} with 503 and {@code Retry-After} (and
     * {@code /health} with {@code "status": "loading"}) until {@link #load} has loaded the table and the model.
     */
    public static SearchServer listen(JobSettings s) throws IOException {
        return new SearchServer(s);
    }

    private SearchServer(JobSettings s) throws IOException {
        this.settings = s;
        this.p = new ServeSettings(s);
        this.uploads = new Semaphore(p.maxUploads);
        this.admin = AccessToken.admin(
                ServeSettings.ADMIN_TOKEN_FILE, p.adminTokenFile, System.getenv(AccessToken.ADMIN_VARIABLE), p.host);
        this.searchToken = AccessToken.optional(
                ServeSettings.SEARCH_TOKEN_FILE, p.searchTokenFile, System.getenv(AccessToken.SEARCH_VARIABLE));
        this.workers = Executors.newFixedThreadPool(p.threads, r -> {
            Thread t = new Thread(r, "mlh-serve-request");
            t.setDaemon(true);
            return t;
        });
        // without TCP_NODELAY a response's headers and body go as two packets, and the second waits for
        // the client's delayed acknowledgement of the first: 40 ms on every request
        if (System.getProperty("sun.net.httpserver.nodelay") == null)
            System.setProperty("sun.net.httpserver.nodelay", "true");
        this.http = HttpServer.create(new InetSocketAddress(p.host, p.port), 256);
        http.setExecutor(workers);
        http.createContext("/", this::handle);
        http.start();
        LOG.info("listening at " + uri() + ", loading " + p.codes);
    }

    /** Loads the table and the model bundle, and starts answering searches; once. */
    public void load(SparkSession spark) throws IOException {
        synchronized (reloading) {
            if (index.get() != null) throw new IllegalStateException("the service is loaded already");
            this.spark = spark;
            ServingIndex first = load();
            if (!p.model.isEmpty()) {
                ModelBundle bundle = ModelBundle.load(spark.sparkContext().hadoopConfiguration(), p.model);
                ImageEncoder encoder = ImageEncoder.of(
                        spark,
                        bundle,
                        p.model,
                        settings.model,
                        ServeSettings.PRECISION,
                        p.rerank.reranks()
                                ? EnumSet.of(CodeTable.Extra.CONTINUOUS_INT8)
                                : EnumSet.noneOf(CodeTable.Extra.class),
                        p.batch);
                this.images = new QueryImages(encoder, p.encoders);
            }
            requireComparable(first);
            this.shardImages = new ShardImages(spark, p.shards, p.verifyInputs);
            index.set(first);
            LOG.info("serving " + describe(first) + " at " + uri());
        }
    }

    /** Where the service listens, e.g. http://127.0.0.1:8080/ (bound to every interface: its loopback address). */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        InetAddress ip = a.getAddress();
        String host = ip.isAnyLocalAddress()
                ? "127.0.0.1"
                : ip instanceof Inet6Address ? "[" + ip.getHostAddress() + "]" : a.getHostString();
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    /** Loads the table again and swaps it in; returns its rows. Requests keep being answered meanwhile. */
    public int reload() throws IOException {
        // one reload at a time; a table that fails to load or to match the model leaves the old one serving
        synchronized (reloading) {
            if (index.get() == null) throw new IllegalStateException("the service is still loading");
            ServingIndex next;
            try {
                next = load();
                requireComparable(next);
            } catch (IOException | RuntimeException e) {
                refusedReload = Instant.now() + ": " + e.getMessage();
                LOG.warn("reload refused, still serving " + describe(index.get()) + ": " + e.getMessage());
                throw e;
            }
            index.set(next);
            reloads.incrementAndGet();
            LOG.info("reloaded: serving " + describe(next));
            return next.table.size();
        }
    }

    @Override
    public void close() {
        if (stopped.getCount() == 0) return;
        http.stop(1);
        workers.shutdown();
        QueryImages encoders = images;
        if (encoders != null) encoders.close();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }

    private ServingIndex load() throws IOException {
        CodeSplit split = CodeSplit.openForOnePass(spark, p.codes, p.databaseSplit, p.verifyInputs);
        if (p.rerank.reranks()) split = split.withInt8("mlh.jobs.rerank.mode = refine");
        LoadedCodes table = LoadedCodes.load(spark, split);
        return new ServingIndex(table, split, p.index, p.substrings, p.rerank);
    }

    /**
     * Refuses a table whose codes the model's cannot be ranked against (other bits, centres or branch);
     * without a model, a reload onto a table whose codes the served one's cannot be: clients send codes
     * made for the table they found.
     */
    private void requireComparable(ServingIndex loaded) {
        ServingIndex serving = index.get();
        if (images != null)
            loaded.split.requireComparable(
                    "the model bundle " + p.model, images.encoder.bits(), images.encoder.provenance());
        else if (serving != null)
            loaded.split.requireComparable(
                    "the table being served (loaded " + serving.loaded + ")",
                    serving.split.bits,
                    serving.split.provenance);
    }

    private static String describe(ServingIndex i) {
        return i.table.name + " (" + i.table.size() + " codes of " + i.table.bits() + " bits, " + i.kind.configName()
                + (i.substrings() > 0 ? ", " + i.substrings() + " substrings" : "") + ")";
    }

    // requests

    private void handle(HttpExchange x) throws IOException {
        try {
            String path = x.getRequestURI().getPath(), method = x.getRequestMethod();
            if (index.get() == null && !path.equals("/")) { // loading: a load balancer waits on /health
                x.getResponseHeaders().set("Retry-After", "1");
                if (path.equals("/health")) {
                    ObjectNode loading = JSON.createObjectNode();
                    loading.put("status", "loading");
                    loading.put("table", p.codes);
                    loading.put("listening_since", listening.toString());
                    send(x, 503, loading);
                    return;
                }
                throw new BadRequest(503, "loading " + p.codes + " (listening since " + listening + ")");
            }
            if (path.startsWith(ShardImages.PATH)) {
                requireMethod(method, "GET");
                requireToken(x, searchToken, "GET /image/<id>", "search");
                sendBytes(x, 200, "image/png", shardImages.png(path.substring(ShardImages.PATH.length())));
                return;
            }
            switch (path) {
                case "/":
                    requireMethod(method, "GET");
                    sendBytes(x, 200, "text/html; charset=utf-8", PAGE);
                    break;
                case "/search":
                    requireMethod(method, "POST");
                    requireToken(x, searchToken, "POST /search", "search");
                    search(x);
                    break;
                case "/health":
                    requireMethod(method, "GET");
                    send(x, 200, health());
                    break;
                case "/stats":
                    requireMethod(method, "GET");
                    send(x, 200, stats());
                    break;
                case "/reload":
                    requireMethod(method, "POST");
                    requireToken(x, admin, "POST /reload", "admin");
                    ObjectNode done = JSON.createObjectNode();
                    done.put("reloaded", true);
                    try {
                        done.put("rows", reload());
                    } catch (IOException | IllegalArgumentException e) { // the table's fault: the old one serves on
                        throw new BadRequest(
                                409, "reload refused, still serving " + describe(index.get()) + ": " + e.getMessage());
                    }
                    send(x, 200, done);
                    break;
                default:
                    throw new BadRequest(
                            404,
                            "no such path: " + path
                                    + " (GET /, POST /search, GET /image/<id>, GET /health, GET /stats, POST /reload)");
            }
        } catch (BadRequest e) {
            if (e.status != 503 || index.get() != null) refused.incrementAndGet(); // not the polls of a start

            send(x, e.status, error(e.getMessage()));
        } catch (Exception e) { // the service keeps serving; the reason goes to the client and the log
            failed.incrementAndGet();
            LOG.error("request " + x.getRequestMethod() + " " + x.getRequestURI() + " failed", e);
            send(x, 500, error(e.toString()));
        } finally {
            x.close();
        }
    }

    /** Refuses a request without {@code token} (null: none is needed) with 401. */
    private static void requireToken(HttpExchange x, AccessToken token, String what, String which) {
        if (token == null || token.accepts(x.getRequestHeaders().getFirst("Authorization"))) return;
        x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        throw new BadRequest(401, what + " needs the " + which + " token: Authorization: Bearer <token>");
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) throw new BadRequest(405, method + " is not allowed here: use " + allowed);
    }

    private void search(HttpExchange x) throws IOException, InterruptedException {
        String type = x.getRequestHeaders().getFirst("Content-Type");
        boolean upload = images != null && (type == null || !type.startsWith("application/json"));
        if (upload && !uploads.tryAcquire()) { // before the body is read: a burst of large uploads waits outside
            x.getResponseHeaders().set("Retry-After", "1");
            throw new BadRequest(
                    503, p.maxUploads + " image uploads are being encoded (jobs.serve.max-uploads): retry shortly");
        }
        // released once the image has its code, before the answer goes out: a client that has its answer
        // finds the place free
        AtomicBoolean held = new AtomicBoolean(upload);
        Runnable encoded = () -> {
            if (held.getAndSet(false)) uploads.release();
        };
        try {
            search(x, type, encoded);
        } finally {
            encoded.run();
        }
    }

    private void search(HttpExchange x, String type, Runnable encodedUpload) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ServingIndex i = index.get(); // this request's table, whatever a reload does meanwhile
        SearchRequest r = SearchRequest.parse(
                type, x.getRequestBody(), p.maxBody, x.getRequestURI().getRawQuery(), i.table.bits(), p.maxK);
        long[] code = r.code;
        byte[] int8 = r.int8;
        long encoded = 0, forward = 0;
        int batch = 0;
        if (code == null) {
            if (images == null)
                throw new BadRequest(400, "this service has no model bundle (paths.model): send a code, not an image");
            QueryImages.Encoded e = images.encode(r.image);
            encodedUpload.run();
            encoded = System.nanoTime();
            code = e.code;
            int8 = e.int8;
            forward = e.forwardNanos;
            batch = e.batch;
        }
        if (i.refine.reranks() && int8 == null)
            throw new BadRequest(
                    400,
                    "this service re-ranks (" + i.refine + "): send the query's continuous code as \"continuous\" ("
                            + i.table.bits() + " numbers) beside its \"code\", or an image");
        ServingIndex.Hits hits = i.search(code, int8, r.k, r.maxDistance);
        ObjectNode out = JSON.createObjectNode();
        out.put("table", i.table.name);
        out.put("bits", i.table.bits());
        out.put("k", r.k);
        if (r.maxDistance >= 0) out.put("max-distance", r.maxDistance);
        out.put("code", hex(code));
        out.put("rerank", i.refine.toString());
        ArrayNode list = out.putArray("neighbours");
        List<Long> ids = new ArrayList<>();
        for (int n = 0; n < hits.size; n++) {
            ObjectNode h = list.addObject();
            long id = i.table.ids[hits.positions[n]];
            ids.add(id);
            h.put("id", id);
            h.put("distance", hits.distances[n]);
            if (hits.scores != null) h.put("score", hits.scores[n]);
            ArrayNode labels = h.putArray("labels");
            for (int y : i.table.labels(hits.positions[n])) labels.add(y);
        }
        if (r.thumbnails) shardImages.addThumbnails(list, ids);
        long end = System.nanoTime();
        if (encoded > 0) {
            out.put("encode_ms", (encoded - start) / 1e6);
            out.put("forward_ms", forward / 1e6);
            out.put("forward_images", batch);
        }
        out.put("took_ms", (end - start) / 1e6);
        // counted before the answer leaves, so that a client's next /stats includes it
        if (r.code == null) {
            imageLatency.record(end - start);
            forwardLatency.record(forward);
        } else codeLatency.record(end - start);
        send(x, 200, out);
    }

    private ObjectNode health() {
        ServingIndex i = index.get();
        ObjectNode o = JSON.createObjectNode();
        o.put("status", "ok");
        o.put("table", i.table.name);
        o.put("rows", i.table.size());
        o.put("bytes_per_row", i.bytesPerRow());
        o.put("rerank", i.refine.toString());
        o.put("since", i.loaded.toString());
        if (!refusedReload.isEmpty()) o.put("refused_reload", refusedReload);
        return o;
    }

    private ObjectNode stats() {
        ServingIndex i = index.get();
        ObjectNode o = JSON.createObjectNode();
        o.put("table", i.table.name);
        o.put("rows", i.table.size());
        o.put("bits", i.table.bits());
        o.put("index", i.kind.configName());
        if (i.substrings() > 0) o.put("substrings", i.substrings());
        o.put("loaded", i.loaded.toString());
        o.put("images", images != null);
        ObjectNode requests = o.putObject("requests");
        requests.put("code", codeLatency.count());
        requests.put("image", imageLatency.count());
        requests.put("refused", refused.get());
        requests.put("uploads_in_progress", p.maxUploads - uploads.availablePermits());
        requests.put("failed", failed.get());
        requests.put("reloads", reloads.get());
        latency(o.putObject("code_latency_ms"), codeLatency);
        latency(o.putObject("image_latency_ms"), imageLatency);
        latency(o.putObject("image_forward_ms"), forwardLatency);
        return o;
    }

    private static void latency(ObjectNode o, LatencyHistogram h) {
        o.put("p50", h.percentileMillis(0.50));
        o.put("p90", h.percentileMillis(0.90));
        o.put("p99", h.percentileMillis(0.99));
    }

    private static ObjectNode error(String reason) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", reason);
        return o;
    }

    /** A code as the service writes and reads it: 16 hex digits a 64-bit word, most significant first. */
    public static String hex(long[] code) {
        StringBuilder b = new StringBuilder();
        for (long w : code) b.append(String.format("%016x", w));
        return b.toString();
    }

    private static void send(HttpExchange x, int status, ObjectNode body) throws IOException {
        sendBytes(
                x,
                status,
                "application/json; charset=utf-8",
                JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8));
    }

    private static void sendBytes(HttpExchange x, int status, String type, byte[] bytes) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The search page ({@code GET /}), from the jar. */
    private static final byte[] PAGE = page();

    private static byte[] page() {
        try (java.io.InputStream in = SearchServer.class.getResourceAsStream("page.html")) {
            if (in == null) throw new IllegalStateException("page.html is missing from the jar");
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] b = new byte[8192];
            for (int n; (n = in.read(b)) > 0; ) out.write(b, 0, n);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read page.html from the jar", e);
        }
    }
}
