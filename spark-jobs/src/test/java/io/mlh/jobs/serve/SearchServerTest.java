package io.mlh.jobs.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.core.config.ConfigError;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.search.SearchJob;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.CodeTableFixture;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query service on local Spark, over real HTTP on 127.0.0.1: code queries against a brute-force
 * ranking (ascending distance, ties by ascending id) and against the search job's table, with the flat
 * scan and multi-index hashing; concurrent clients across a reload; and each bad request a 4xx with
 * its reason while the service keeps serving.
 */
class SearchServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = Spark.start("serve-test", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void codeQueriesEqualBruteForceAndTheSearchJobWithEitherIndex() throws Exception {
        List<Row> rows = CodeTableFixture.codes(3000, 64, 21, 0.02);
        Path table = CodeTableFixture.commit(spark, dir.resolve("codes"), rows, null);
        Path neighbours = dir.resolve("neighbours");
        SearchJob.run(spark, settings(table, "paths.neighbours=" + neighbours, "jobs.search.k=10"));
        List<Row> written = spark.read()
                .parquet(neighbours.toString())
                .orderBy("query_id", "rank")
                .collectAsList();

        for (String index : new String[] {"flat", "multi-index"}) {
            try (SearchServer server = SearchServer.start(spark, settings(table, "jobs.serve.index=" + index))) {
                int checked = 0;
                for (Row q : rows) {
                    if (!q.getString(1).equals("query")) continue;
                    long[] code = (long[]) q.get(4);
                    JsonNode hex = post(server, "search", "{\"code\": \"" + SearchServer.hex(code) + "\"}");
                    assertEquals(expected(rows, code, 10, -1), ids(hex), index + ": query " + q.getLong(0));
                    assertEquals(fromSearchJob(written, q.getLong(0)), ids(hex), index + ": as mlh-search");
                    JsonNode array = post(server, "search?k=25&max-distance=27", "{\"code\": [" + code[0] + "]}");
                    assertEquals(expected(rows, code, 25, 27), ids(array), index + ": radius, query " + q.getLong(0));
                    checked++;
                }
                assertTrue(checked > 30, "queries checked: " + checked);
                JsonNode first = post(
                        server,
                        "search",
                        "{\"code\": \"" + SearchServer.hex((long[]) rows.get(0).get(4)) + "\"}");
                JsonNode n = first.get("neighbours").get(0);
                assertEquals(rows.get(0).getLong(0), n.get("id").asLong()); // a database row finds itself first
                assertEquals(0, n.get("distance").asInt());
                assertEquals(
                        Arrays.toString((int[]) rows.get(0).get(2)),
                        n.get("labels").toString().replace(",", ", "));
                JsonNode stats = get(server, "stats");
                assertEquals(index, stats.get("index").asText());
                assertEquals(2 * checked + 1, stats.get("requests").get("code").asInt());
                assertTrue(stats.get("code_latency_ms").get("p99").asDouble() > 0);
                assertEquals("ok", get(server, "health").get("status").asText());
            }
        }
    }

    /**
     * Re-ranked (R = 30, k = 10) on either index: each code query with its continuous code gets the
     * search job's re-ranked list and scores (int8 codes from a pool of 5: scores tie, broken by id);
     * without its continuous code it is refused naming the field; /health reports the re-ranking and the
     * bytes a row. A table without int8 codes does not start a re-ranking service.
     */
    @Test
    void reRankedAnswersEqualTheSearchJobs() throws Exception {
        List<Row> rows = CodeTableFixture.withInt8(CodeTableFixture.codes(2000, 16, 23, 0.02), 5, 2);
        Path table = CodeTableFixture.commit(spark, dir.resolve("codes-int8"), rows, null);
        String[] refine = {"jobs.rerank.mode=refine", "jobs.rerank.candidates=30"};
        Path neighbours = dir.resolve("neighbours-int8");
        SearchJob.run(
                spark, settings(table, refine[0], refine[1], "paths.neighbours=" + neighbours, "jobs.search.k=10"));
        List<Row> written = spark.read()
                .parquet(neighbours.toString())
                .orderBy("query_id", "rank")
                .collectAsList();
        for (String index : new String[] {"flat", "multi-index"}) {
            try (SearchServer server =
                    SearchServer.start(spark, settings(table, refine[0], refine[1], "jobs.serve.index=" + index))) {
                int checked = 0;
                for (Row q : rows) {
                    if (!q.getString(1).equals("query")) continue;
                    StringBuilder u = new StringBuilder();
                    for (byte b : (byte[]) q.get(5))
                        u.append(u.length() == 0 ? "" : ", ").append(b / 127f);
                    JsonNode answer = post(
                            server,
                            "search",
                            "{\"code\": \"" + SearchServer.hex((long[]) q.get(4)) + "\", \"continuous\": [" + u + "]}");
                    assertEquals(fromSearchJob(written, q.getLong(0)), ids(answer), index + ": query " + q.getLong(0));
                    List<Double> scores = new ArrayList<>();
                    for (JsonNode n : answer.get("neighbours"))
                        scores.add(n.get("score").asDouble());
                    List<Double> writtenScores = new ArrayList<>();
                    for (Row r : written)
                        if (r.getLong(0) == q.getLong(0)) writtenScores.add(r.getDouble(r.fieldIndex("score")));
                    assertEquals(writtenScores, scores, index + ": scores of query " + q.getLong(0));
                    checked++;
                }
                assertTrue(checked > 20, "queries checked: " + checked);
                assertRefused(
                        server,
                        "POST",
                        "search",
                        "application/json",
                        "{\"code\": \"" + SearchServer.hex((long[]) rows.get(0).get(4)) + "\"}",
                        400,
                        "send the query's continuous code as \"continuous\" (16 numbers)");
                JsonNode health = get(server, "health");
                assertEquals("refine 30", health.get("rerank").asText());
                // id, a code word, a label word, 16 int8 bytes and their norm; multi-index adds its tables
                assertTrue(health.get("bytes_per_row").asDouble() >= 8 + 8 + 8 + 16 + 4, health.toString());
            }
        }
        Path plain = CodeTableFixture.commit(
                spark, dir.resolve("codes-no-int8"), CodeTableFixture.codes(100, 16, 3, 0.1), null);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                Exception.class, () -> SearchServer.start(spark, settings(plain, refine[0])));
        assertTrue(e.getMessage().contains("mlh.jobs.encode.continuous-int8 = true"), e.getMessage());
    }

    /** The longest a request may wait while the service reloads (measured: about 0.1 s on 2 cores). */
    private static final long RELOAD_WAIT_BOUND_MILLIS = 5000;

    /**
     * 16 closed-loop clients query across a reload: no request fails or waits past
     * {@link #RELOAD_WAIT_BOUND_MILLIS}, every answer is the exact top-k of the old table or of the new
     * one, and each client sees the old one, then the new one, never the old after the new.
     */
    @Test
    void concurrentClientsAcrossAReloadEachGetOneWholeTable() throws Exception {
        Path table = dir.resolve("reloaded");
        List<Row> before = CodeTableFixture.codes(2000, 64, 31, 0.02),
                after = CodeTableFixture.codes(2500, 64, 32, 0.02);
        CodeTableFixture.commit(spark, table, before, null);
        List<long[]> queries = new ArrayList<>();
        for (int i = 0; i < 64; i++) queries.add((long[]) after.get(i * 37).get(4));
        int clientCount = 16;
        ExecutorService clients = Executors.newFixedThreadPool(clientCount);
        CountDownLatch allAnswered = new CountDownLatch(clientCount); // each client has had an answer of the old table
        AtomicBoolean reloaded = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong longest = new java.util.concurrent.atomic.AtomicLong();
        try (SearchServer server = SearchServer.start(spark, settings(table, "jobs.serve.index=multi-index"))) {
            List<Future<List<String>>> answers = new ArrayList<>();
            for (int c = 0; c < clientCount; c++) {
                int client = c;
                answers.add(clients.submit(() -> {
                    List<String> seen = new ArrayList<>();
                    // queries until the reload has answered, then 20 more: every client straddles it
                    for (int r = 0, more = 0; more < 20; r++) {
                        if (reloaded.get()) more++;
                        long[] code = queries.get((client * 60 + r) % queries.size());
                        long sent = System.nanoTime();
                        List<Long> got = ids(post(server, "search", "{\"code\": [" + code[0] + "]}"));
                        longest.accumulateAndGet(System.nanoTime() - sent, Math::max);
                        if (got.equals(expected(before, code, 10, -1))) seen.add("before");
                        else if (got.equals(expected(after, code, 10, -1))) seen.add("after");
                        else seen.add("neither: " + got);
                        if (r == 0) allAnswered.countDown();
                    }
                    return seen;
                }));
            }
            assertTrue(allAnswered.await(5, TimeUnit.MINUTES), "not every client had an answer");
            CodeTableFixture.commit(spark, table, after, null);
            assertEquals(
                    2500 - count(after, "query"),
                    post(server, "reload", "{}").get("rows").asInt());
            reloaded.set(true);
            for (Future<List<String>> f : answers) {
                List<String> seen = f.get();
                for (String s : seen) assertTrue(s.equals("before") || s.equals("after"), s);
                // a client's requests follow one another: once it has the new table it never sees the old
                int firstAfter = seen.indexOf("after");
                assertTrue(firstAfter > 0, "a client saw only one table: " + seen);
                assertEquals(-1, seen.subList(firstAfter, seen.size()).indexOf("before"), "old after new: " + seen);
            }
            for (long[] code : queries) // once reloaded, every answer is the new table's
            assertEquals(expected(after, code, 10, -1), ids(post(server, "search", "{\"code\": [" + code[0] + "]}")));
            assertEquals(1, get(server, "stats").get("requests").get("reloads").asInt());
            long waited = TimeUnit.NANOSECONDS.toMillis(longest.get());
            assertTrue(waited < RELOAD_WAIT_BOUND_MILLIS, "a request waited " + waited + " ms");
            System.out.println("SearchServerTest: 16 clients across a reload, longest request " + waited + " ms");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void badRequestsGetTheirReasonAndTheServiceKeepsServing() throws Exception {
        List<Row> rows = CodeTableFixture.codes(300, 64, 41, 0.0);
        Path table = CodeTableFixture.commit(spark, dir.resolve("bad"), rows, null);
        try (SearchServer server =
                SearchServer.start(spark, settings(table, "jobs.serve.max-body=1K", "jobs.serve.max-k=50"))) {
            String good =
                    "{\"code\": \"" + SearchServer.hex((long[]) rows.get(0).get(4)) + "\"}";
            assertRefused(
                    server,
                    "POST",
                    "search",
                    "application/json",
                    "{\"code\": \"abc\"}",
                    400,
                    "is 16 hex digits, got 3");
            assertRefused(
                    server, "POST", "search", "application/json", "{\"code\": \"zzzzzzzzzzzzzzzz\"}", 400, "not hex");
            assertRefused(
                    server,
                    "POST",
                    "search",
                    "application/json",
                    "{\"code\": [1, 2]}",
                    400,
                    "is 1 64-bit words, got 2");
            assertRefused(server, "POST", "search", "application/json", "{\"code\": ", 400, "not JSON");
            assertRefused(server, "POST", "search", "application/json", "{\"k\": 3}", 400, "has no \"code\"");
            assertRefused(
                    server, "POST", "search?k=0", "application/json", good, 400, "k must be between 1 and 50, got 0");
            assertRefused(server, "POST", "search?k=51", "application/json", good, 400, "k must be between 1 and 50");
            assertRefused(server, "POST", "search?k=x", "application/json", good, 400, "k must be an integer");
            assertRefused(server, "POST", "search?max-distance=65", "application/json", good, 400, "between 0 and 64");
            char[] big = new char[2000];
            Arrays.fill(big, ' ');
            assertRefused(
                    server,
                    "POST",
                    "search",
                    "application/json",
                    good + new String(big),
                    413,
                    "larger than 1024 bytes");
            assertRefused(server, "POST", "search", "image/jpeg", "\u00ff\u00d8\u00ff", 400, "no model bundle");
            assertRefused(server, "GET", "search", null, null, 405, "use POST");
            assertRefused(server, "GET", "nowhere", null, null, 404, "no such path: /nowhere");
            assertEquals(13, get(server, "stats").get("requests").get("refused").asInt());
            assertEquals(
                    rows.get(0).getLong(0),
                    post(server, "search", good)
                            .get("neighbours")
                            .get(0)
                            .get("id")
                            .asLong());
        }
    }

    @Test
    void anUncommittedTableRefusesToStart() throws Exception {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(
                Exception.class, () -> SearchServer.start(spark, settings(dir.resolve("nothing"))));
        assertTrue(e.getMessage().contains("nothing"), e.getMessage());
    }

    // the client side

    /**
     * The table replaced by an uncommitted one, a truncated one, one of other hash centres and one of
     * other bits: each reload is refused (409) with its reason, and the old table keeps serving exact
     * answers; /health names it, since when it serves, and the last refused reload. A good table then
     * reloads.
     */
    @Test
    void aReloadOntoABrokenTableIsRefusedAndTheOldTableServesOn() throws Exception {
        CodeTable.Provenance centres = new CodeTable.Provenance(fingerprint('a'), "centre");
        List<Row> rows = CodeTableFixture.codes(300, 32, 5, 0.1);
        Path table = CodeTableFixture.commit(spark, dir.resolve("codes-refused-reload"), rows, centres);
        try (SearchServer server = SearchServer.start(spark, settings(table))) {
            JsonNode before = get(server, "health");
            long[] code = (long[]) rows.get(0).get(4);
            String query = "{\"code\": \"" + SearchServer.hex(code) + "\"}";

            Files.delete(table.resolve(CommittedOutput.MARKER));
            assertReloadRefused(server, before, "has no _MLH_COMMITTED marker");
            assertEquals(expected(rows, code, 10, -1), ids(post(server, "search", query)));

            CodeTableFixture.commit(spark, table, CodeTableFixture.codes(300, 32, 6, 0.1), centres);
            Path part = parquetFiles(table).get(0);
            byte[] whole = Files.readAllBytes(part);
            Files.write(part, Arrays.copyOf(whole, whole.length / 2));
            assertReloadRefused(
                    server, before, "bytes, its manifest says " + whole.length + " (truncated or replaced)");

            CodeTableFixture.commit(
                    spark,
                    table,
                    CodeTableFixture.codes(300, 32, 7, 0.1),
                    new CodeTable.Provenance(fingerprint('b'), "centre"));
            assertReloadRefused(server, before, "different hash centres");
            CodeTableFixture.commit(spark, table, CodeTableFixture.codes(300, 64, 8, 0.1), centres);
            assertReloadRefused(server, before, "64-bit codes");
            assertEquals(expected(rows, code, 10, -1), ids(post(server, "search", query)));

            List<Row> next = CodeTableFixture.codes(400, 32, 9, 0.1);
            CodeTableFixture.commit(spark, table, next, centres);
            assertEquals(
                    400 - count(next, "query"),
                    post(server, "reload", "{}").get("rows").asInt());
            assertEquals(expected(next, code, 10, -1), ids(post(server, "search", query)));
            assertFalse(before.get("since").equals(get(server, "health").get("since")), "since the reload");
        }
    }

    private static void assertReloadRefused(SearchServer server, JsonNode before, String reason) throws IOException {
        Http.Response refused = Http.request(server, "POST", "reload", "application/json", "{}");
        assertEquals(409, refused.status, refused.body);
        assertTrue(
                refused.body.contains("reload refused, still serving "
                                + before.get("table").asText())
                        && refused.body.contains(reason),
                "\"" + reason + "\" not in " + refused.body);
        JsonNode after = get(server, "health");
        assertEquals("ok", after.get("status").asText());
        assertEquals(before.get("table"), after.get("table"));
        assertEquals(before.get("rows"), after.get("rows"));
        assertEquals(before.get("since"), after.get("since"));
        assertTrue(after.path("refused_reload").asText().contains(reason), after.toString());
    }

    private static List<Path> parquetFiles(Path table) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(table)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .collect(java.util.stream.Collectors.toList());
        }
    }

    private static String fingerprint(char c) {
        char[] hex = new char[64];
        Arrays.fill(hex, c);
        return new String(hex);
    }

    /**
     * Listening before it has loaded: /health answers 503 "loading" (a load balancer waits on it), a
     * search 503 with Retry-After, the page 200; once loaded, 200 and exact answers.
     */
    @Test
    void notReadyUntilTheTableIsLoaded() throws Exception {
        List<Row> rows = CodeTableFixture.codes(300, 64, 15, 0.1);
        Path table = CodeTableFixture.commit(spark, dir.resolve("codes-loading"), rows, null);
        try (SearchServer server = SearchServer.listen(settings(table))) {
            Http.Response health = Http.request(server, "GET", "health", null, (String) null);
            assertEquals(503, health.status, health.body);
            assertEquals("1", health.retryAfter);
            JsonNode loading = JSON.readTree(health.body);
            assertEquals("loading", loading.get("status").asText());
            assertEquals(table.toString(), loading.get("table").asText());
            long[] code = (long[]) rows.get(0).get(4);
            String query = "{\"code\": \"" + SearchServer.hex(code) + "\"}";
            Http.Response early = Http.request(server, "POST", "search", "application/json", query);
            assertEquals(503, early.status, early.body);
            assertEquals("1", early.retryAfter);
            assertTrue(early.body.contains("loading " + table), early.body);
            assertEquals(503, Http.request(server, "POST", "reload", "application/json", "{}").status);
            assertEquals(200, Http.request(server, "GET", "", null, (String) null).status);

            server.load(spark);
            assertEquals("ok", get(server, "health").get("status").asText());
            assertEquals(expected(rows, code, 10, -1), ids(post(server, "search", query)));
            assertEquals(
                    0, get(server, "stats").get("requests").get("refused").asInt(), "a start's 503s are not refusals");
        }
    }

    /**
     * Bound beyond loopback, the service refuses to start without an admin token; with one, POST /reload
     * answers 401 without it or with another, reloads with it, and searches stay open; the token shows in
     * no answer.
     */
    @Test
    void reloadNeedsTheAdminTokenWhereverTheServiceIsReachable() throws Exception {
        Path table = CodeTableFixture.commit(
                spark, dir.resolve("codes-admin"), CodeTableFixture.codes(200, 16, 5, 0.1), null);
        ConfigError open = assertThrows(
                ConfigError.class, () -> SearchServer.start(spark, settings(table, "jobs.serve.host=0.0.0.0")));
        assertTrue(
                open.getMessage().contains("'mlh.jobs.serve.host'")
                        && open.getMessage().contains("admin-token-file"),
                open.getMessage());
        Path token = Files.write(dir.resolve("admin.token"), "s3cret-token\n".getBytes(StandardCharsets.UTF_8));
        try (SearchServer server = SearchServer.start(
                spark, settings(table, "jobs.serve.host=0.0.0.0", "jobs.serve.admin-token-file=" + token))) {
            URI local = server.uri();
            assertEquals("127.0.0.1", local.getHost(), "bound to every interface, reached on loopback");
            byte[] none = new byte[0];
            Http.Response anonymous = Http.request(local, "POST", "reload", null, none);
            assertEquals(401, anonymous.status, anonymous.body);
            assertTrue(anonymous.body.contains("Authorization: Bearer"), anonymous.body);
            Map<String, String> wrong = Collections.singletonMap("Authorization", "Bearer s3cret-tokem");
            assertEquals(401, Http.request(local, "POST", "reload", null, none, wrong).status);
            Map<String, String> right = Collections.singletonMap("Authorization", "Bearer s3cret-token");
            Http.Response reloaded = Http.request(local, "POST", "reload", null, none, right);
            assertEquals(200, reloaded.status, reloaded.body);
            assertTrue(JSON.readTree(reloaded.body).path("rows").asInt() > 0, reloaded.body);
            long[] code =
                    (long[]) CodeTableFixture.codes(200, 16, 5, 0.1).get(0).get(4);
            Http.Response search = Http.request(
                    local,
                    "POST",
                    "search",
                    "application/json",
                    ("{\"code\": \"" + SearchServer.hex(code) + "\"}").getBytes(StandardCharsets.UTF_8));
            assertEquals(200, search.status, search.body);
            for (String path : new String[] {"stats", "health"}) {
                Http.Response r = Http.request(local, "GET", path, null, null);
                assertFalse(r.body.contains("s3cret"), path + ": " + r.body);
            }
        }
    }

    /**
     * With a search token too, searches and images answer 401 without it and 200 with it, while the
     * page, /health and /stats stay open; neither token appears in any answer or any line the service logs.
     */
    @Test
    void aSearchTokenClosesSearchesAndNoTokenIsEverShown() throws Exception {
        List<Row> rows = CodeTableFixture.codes(200, 16, 25, 0.1);
        Path table = CodeTableFixture.commit(spark, dir.resolve("codes-search-token"), rows, null);
        Path admin = Files.write(dir.resolve("admin2.token"), "adm1n-t0ken".getBytes(StandardCharsets.UTF_8));
        Path search = Files.write(dir.resolve("search.token"), "s34rch-t0ken\n".getBytes(StandardCharsets.UTF_8));
        List<String> logged = Collections.synchronizedList(new ArrayList<>());
        org.apache.log4j.Logger root = org.apache.log4j.Logger.getRootLogger(),
                ours = org.apache.log4j.Logger.getLogger("io.mlh");
        org.apache.log4j.Level level = ours.getLevel();
        org.apache.log4j.AppenderSkeleton capture = new org.apache.log4j.AppenderSkeleton() {
            @Override
            protected void append(org.apache.log4j.spi.LoggingEvent e) {
                logged.add(e.getRenderedMessage() + " " + Arrays.toString(e.getThrowableStrRep()));
            }

            @Override
            public void close() {}

            @Override
            public boolean requiresLayout() {
                return false;
            }
        };
        ours.setLevel(org.apache.log4j.Level.ALL);
        root.addAppender(capture);
        try (SearchServer server = SearchServer.start(
                spark,
                settings(
                        table,
                        "jobs.serve.host=0.0.0.0",
                        "jobs.serve.admin-token-file=" + admin,
                        "jobs.serve.search-token-file=" + search))) {
            byte[] query = ("{\"code\": \""
                            + SearchServer.hex((long[]) rows.get(0).get(4)) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            Map<String, String> searcher = Collections.singletonMap("Authorization", "Bearer s34rch-t0ken"),
                    administrator = Collections.singletonMap("Authorization", "Bearer adm1n-t0ken");
            URI local = server.uri();
            Http.Response closed = Http.request(local, "POST", "search", "application/json", query);
            assertEquals(401, closed.status, closed.body);
            assertTrue(closed.body.contains("POST /search needs the search token"), closed.body);
            assertEquals(401, Http.request(local, "POST", "search", "application/json", query, administrator).status);
            Http.Response open = Http.request(local, "POST", "search", "application/json", query, searcher);
            assertEquals(200, open.status, open.body);
            assertEquals(expected(rows, (long[]) rows.get(0).get(4), 10, -1), ids(JSON.readTree(open.body)));
            assertEquals(401, Http.request(local, "GET", "image/" + rows.get(0).getLong(0), null, null).status);
            assertEquals(401, Http.request(local, "POST", "reload", null, new byte[0], searcher).status);
            assertEquals(200, Http.request(local, "POST", "reload", null, new byte[0], administrator).status);
            for (String path : new String[] {"", "stats", "health"}) {
                Http.Response r = Http.request(local, "GET", path, null, null);
                assertEquals(200, r.status, path + ": " + r.body);
                assertFalse(r.body.contains("t0ken"), path + ": " + r.body);
            }
        } finally {
            root.removeAppender(capture);
            ours.setLevel(level);
        }
        assertTrue(logged.stream().anyMatch(l -> l.contains("serving ")), "the service's lines were not captured");
        for (String line : logged) assertFalse(line.contains("t0ken"), "a token in the log: " + line);
    }

    private static JobSettings settings(Path table, String... more) {
        List<String> args = new ArrayList<>(Arrays.asList(
                "-", "spark.master=local[2]", "paths.codes=" + table, "paths.model=", "jobs.serve.port=0"));
        args.addAll(Arrays.asList(more));
        return JobSettings.fromArgs(args.toArray(new String[0]));
    }

    private static JsonNode post(SearchServer server, String path, String json) throws IOException {
        Http.Response r = Http.request(server, "POST", path, "application/json", json);
        assertEquals(200, r.status, path + ": " + r.body);
        return JSON.readTree(r.body);
    }

    private static JsonNode get(SearchServer server, String path) throws IOException {
        Http.Response r = Http.request(server, "GET", path, null, (String) null);
        assertEquals(200, r.status, path + ": " + r.body);
        return JSON.readTree(r.body);
    }

    private static void assertRefused(
            SearchServer server, String method, String path, String type, String body, int status, String reason)
            throws IOException {
        Http.Response r = Http.request(server, method, path, type, body);
        assertEquals(status, r.status, path + " " + body + ": " + r.body);
        String error = JSON.readTree(r.body).get("error").asText();
        assertTrue(error.contains(reason), "\"" + error + "\" does not say \"" + reason + "\"");
    }

    // the expected answers

    /** The database rows' ids by (distance, id), cut at k and the radius. */
    private static List<Long> expected(List<Row> rows, long[] code, int k, int radius) {
        List<Row> database = new ArrayList<>();
        for (Row r : rows) if (r.getString(1).equals("database")) database.add(r);
        database.sort(Comparator.<Row>comparingInt(r -> distance(code, r)).thenComparingLong(r -> r.getLong(0)));
        List<Long> ids = new ArrayList<>();
        for (Row r : database) {
            if (ids.size() == k || (radius >= 0 && distance(code, r) > radius)) break;
            ids.add(r.getLong(0));
        }
        return ids;
    }

    private static int distance(long[] code, Row r) {
        long[] y = (long[]) r.get(4);
        int d = 0;
        for (int w = 0; w < code.length; w++) d += Long.bitCount(code[w] ^ y[w]);
        return d;
    }

    private static List<Long> fromSearchJob(List<Row> neighbours, long query) {
        List<Long> ids = new ArrayList<>();
        for (Row r : neighbours) if (r.getLong(0) == query) ids.add(r.getLong(2));
        return ids;
    }

    private static List<Long> ids(JsonNode answer) {
        List<Long> ids = new ArrayList<>();
        for (JsonNode n : answer.get("neighbours")) ids.add(n.get("id").asLong());
        return ids;
    }

    private static int count(List<Row> rows, String split) {
        int n = 0;
        for (Row r : rows) if (r.getString(1).equals(split)) n++;
        return n;
    }
}
