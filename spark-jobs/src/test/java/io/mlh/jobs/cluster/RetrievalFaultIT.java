package io.mlh.jobs.cluster;

import static io.mlh.jobs.cluster.Faults.submitArgs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.serve.Http;
import io.mlh.jobs.serve.SearchServer;
import io.mlh.jobs.tables.CodeTableFixture;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the retrieval side, on one committed code table (about 2,000 queries against 20,000
 * codes of 64 bits) whose exact top 10 of every query the test ranks itself: a worker (of 3) lost while
 * the search job ranks and another while it writes; the search driver killed mid-write and run again;
 * the query service killed under load and started again.
 */
class RetrievalFaultIT {
    private static final String SEARCH = "io.mlh.jobs.search.SearchJob", SERVE = "io.mlh.jobs.serve.SearchServer";
    private static final int K = 10;
    /** Blocks of about 50 queries: some 40 blocks, each a ranking stage and a writing stage, a second or so. */
    private static final String BLOCKS = "jobs.search.query-block-memory=22K";

    private static final String[] THREE_EXECUTORS = {
        "--executor-memory", "768m", "--total-executor-cores", "3", "--conf", "spark.executor.cores=1"
    };

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path codes;
    private static List<Row> queries;
    /** Every query's exact top k, "id:distance" by (distance, id). */
    private static Map<Long, List<String>> expected;

    @BeforeAll
    static void commitTheTableAndRankItOnce() throws IOException {
        spark = Spark.start("retrieval-fault-check", JobSettings.fromArgs(new String[] {"-", "spark.master=local[2]"}));
        List<Row> rows = CodeTableFixture.codes(22_000, 64, 71, 0.1);
        codes = CodeTableFixture.commit(spark, dir.resolve("codes"), rows, null);
        queries = rows.stream().filter(r -> r.getString(1).equals("query")).collect(Collectors.toList());
        List<Row> database =
                rows.stream().filter(r -> r.getString(1).equals("database")).collect(Collectors.toList());
        expected = new HashMap<>();
        for (Row q : queries) expected.put(q.getLong(0), topK(q, database));
        System.out.println("RetrievalFaultIT: " + queries.size() + " queries against " + database.size() + " codes");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void searchLosesAWorkerWhileRankingAndAnotherWhileWriting() throws Exception {
        Path out = dir.resolve("neighbours-workers-lost"), log = dir.resolve("search-workers-lost.log");
        String blocksStart = "queries against "; // the job's line before its first block
        try (StandaloneCluster cluster = new StandaloneCluster(dir.resolve("cluster"), 3, 1, "1g")) {
            Process job = cluster.start(
                    log,
                    submitArgs(SEARCH, "mlh-encode.jar", search(out, "jobs.search.partitions=12"), THREE_EXECUTORS));
            Faults.await("the first block", job, log, 600, () -> contains(log, blocksStart));
            FrozenExecutor.Job search = new FrozenExecutor.Job(cluster, job, log, blocksStart);

            FrozenExecutor ranking =
                    FrozenExecutor.withTaskOf(search, d -> d.contains("flatMapToPair at DistributedSearch"), 300);
            ranking.killWithWorker(cluster);
            search.dead.add(ranking.worker);

            awaitAPartFile(job, log, out);
            FrozenExecutor writing =
                    FrozenExecutor.midTaskOf(search, d -> d.contains("parquet at DistributedSearch"), 300);
            writing.killWithWorker(cluster);

            Faults.assertExit(0, job, log, cluster);
            assertTrue(ranking.lossLogged(log), ranking + ": its task's loss is not in the log\n" + Faults.digest(log));
            assertTrue(writing.lossLogged(log), writing + ": its task's loss is not in the log\n" + Faults.digest(log));
            System.out.println("RetrievalFaultIT: lost " + ranking + ", then " + writing);
        }
        assertEqualsBruteForce(out);
    }

    @Test
    void searchDriverKilledMidWriteLeavesNoTableAndItsRerunOne() throws Exception {
        Path out = dir.resolve("neighbours-driver-killed"), log = dir.resolve("search-killed.log");
        List<String> conf = search(out);
        Process job = StandaloneCluster.start("local[2]", log, submitArgs(SEARCH, "mlh-encode.jar", conf));
        awaitAPartFile(job, log, out);
        Faults.signal("STOP", Faults.pid(job)); // held mid-write: the kill cannot come after the commit
        assertFalse(Faults.committed(out), "committed before the kill");
        Faults.kill(job);

        assertFalse(Files.exists(out), "a killed search job must leave no table");
        IOException refused = assertThrows(
                IOException.class, () -> CommittedOutput.requireCommitted(new Configuration(), out.toString()));
        assertTrue(refused.getMessage().contains("does not exist"), refused.getMessage());
        for (Path debris : siblings(out))
            assertTrue(debris.getFileName().toString().startsWith("."), "visible debris " + debris);

        Path rerunLog = dir.resolve("search-rerun.log");
        Faults.assertExit(
                0, StandaloneCluster.start("local[2]", rerunLog, submitArgs(SEARCH, "mlh-encode.jar", conf)), rerunLog);
        assertTrue(
                Faults.read(rerunLog).contains("took over the claim on " + out),
                "the rerun did not take over the killed job's claim\n" + Faults.digest(rerunLog));
        assertEquals(Arrays.asList(out), siblings(out), "one table, no staging or claim left");
        assertEqualsBruteForce(out);
    }

    /**
     * Four clients query the service without pause; it is killed (SIGKILL) and started again on the same
     * port: every answer either side is the table's exact top k, nothing fails but the connections the
     * kill cut, and the new process says "loading" on /health (503) until it serves, then "ok".
     */
    @Test
    void serviceKilledUnderLoadServesAgainOnceLoaded() throws Exception {
        int port = StandaloneCluster.freePort();
        List<String> conf = Arrays.asList(
                "-", "paths.codes=" + codes, "paths.model=", "jobs.serve.port=" + port, "jobs.serve.index=multi-index");
        URI service = URI.create("http://127.0.0.1:" + port + "/");
        ObjectMapper json = new ObjectMapper();
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(5);
        Process first = null, second = null;
        try {
            Path firstLog = dir.resolve("serve-first.log"), secondLog = dir.resolve("serve-second.log");
            first = StandaloneCluster.start("local[2]", firstLog, submitArgs(SERVE, "mlh-encode.jar", conf));
            Process firstJob = first;
            Faults.await("the service's address", first, firstLog, 300, () -> contains(firstLog, "mlh-serve: http"));
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                running.add(clients.submit(() -> {
                    for (int r = 0; !stop.get(); r++) {
                        Row q = queries.get((client * 500 + r) % queries.size());
                        String outcome = ask(service, json, q);
                        outcomes.computeIfAbsent(outcome, o -> new AtomicInteger())
                                .incrementAndGet();
                        if (outcome.equals("exact")) answered.incrementAndGet();
                        else if (outcome.equals("503 loading")) Thread.sleep(1000); // as its Retry-After says
                        else Thread.sleep(50); // no connection: a client's back-off
                    }
                    return null;
                }));
            }
            awaitAnswers(answered, 200, firstJob, firstLog);
            Faults.kill(first);
            int beforeKill = answered.get();

            Future<List<String>> health = clients.submit(() -> watchHealth(service, json, stop));
            second = StandaloneCluster.start("local[2]", secondLog, submitArgs(SERVE, "mlh-encode.jar", conf));
            Process secondJob = second;
            Faults.await("the restarted service", second, secondLog, 300, () -> contains(secondLog, "mlh-serve: http"));
            awaitAnswers(answered, answered.get() + 200, secondJob, secondLog);
            stop.set(true);
            for (Future<?> f : running) f.get(1, TimeUnit.MINUTES);
            List<String> states = health.get(1, TimeUnit.MINUTES);

            assertEquals(null, outcomes.get("wrong"), "answers that are not the exact top k: " + outcomes);
            for (String outcome : outcomes.keySet())
                assertTrue(
                        outcome.equals("exact") || outcome.equals("no connection") || outcome.equals("503 loading"),
                        "unexpected outcome " + outcome + ": " + outcomes);
            assertTrue(answered.get() - beforeKill >= 200, "answers after the restart: " + outcomes);
            // what /health said from the kill on: no answer, then "loading" (the new process listens before it
            // loads), then "ok" for good
            List<String> seen = states.stream().distinct().collect(Collectors.toList());
            assertEquals(Arrays.asList("no connection", "503 loading", "200 ok"), seen, "/health from the kill on");
            assertEquals("200 ok", states.get(states.size() - 1));
            assertEquals(
                    states.lastIndexOf("503 loading") + 1,
                    states.indexOf("200 ok"),
                    "/health went back to loading after ok: " + states);
            System.out.println("RetrievalFaultIT: service killed and restarted under load: " + outcomes + ", /health "
                    + Stream.of("no connection", "503 loading", "200 ok")
                            .map(s ->
                                    s + " x" + states.stream().filter(s::equals).count())
                            .collect(Collectors.joining(", ")));
        } finally {
            stop.set(true);
            clients.shutdownNow();
            for (Process p : new Process[] {first, second}) if (p != null && p.isAlive()) Faults.kill(p);
        }
    }

    // the service's clients

    /** One search for {@code q}'s code: "exact", "wrong", "no connection", or the status and error. */
    private static String ask(URI service, ObjectMapper json, Row q) {
        long[] code = (long[]) q.get(4);
        byte[] body = ("{\"code\": \"" + SearchServer.hex(code) + "\"}").getBytes(StandardCharsets.UTF_8);
        try {
            Http.Response r = Http.request(service, "POST", "search?k=" + K, "application/json", body);
            if (r.status == 503 && r.body.contains("loading")) return "503 loading";
            if (r.status != 200) return r.status + " " + r.body;
            List<String> got = new ArrayList<>();
            for (JsonNode n : json.readTree(r.body).get("neighbours"))
                got.add(n.get("id").asLong() + ":" + n.get("distance").asInt());
            return got.equals(expected.get(q.getLong(0))) ? "exact" : "wrong";
        } catch (IOException e) {
            return "no connection";
        }
    }

    /** /health every 10 ms from now until {@code stop}: "no connection", "503 loading", "200 ok" or other. */
    private static List<String> watchHealth(URI service, ObjectMapper json, AtomicBoolean stop) throws Exception {
        List<String> states = new ArrayList<>();
        while (!stop.get()) {
            String state;
            try {
                Http.Response r = Http.request(service, "GET", "health", null, null);
                state = r.status + " " + json.readTree(r.body).path("status").asText();
            } catch (IOException e) {
                state = "no connection";
            }
            states.add(state);
            Thread.sleep(10);
        }
        return states;
    }

    private static void awaitAnswers(AtomicInteger answered, int atLeast, Process service, Path log) throws Exception {
        Faults.await(atLeast + " exact answers", service, log, 300, () -> answered.get() >= atLeast);
    }

    // the search job's table

    private static List<String> search(Path out, String... more) {
        List<String> conf = new ArrayList<>(Arrays.asList(
                "-",
                "jobs.search.query-codes=" + codes,
                "jobs.search.database-codes=" + codes,
                "paths.neighbours=" + out,
                "jobs.search.k=" + K,
                BLOCKS));
        conf.addAll(Arrays.asList(more));
        return conf;
    }

    /** The committed table holds every query once, its exact top k in rank order, and nothing else. */
    private static void assertEqualsBruteForce(Path out) throws IOException {
        CommittedOutput.requireCommitted(spark, out.toString(), true);
        Map<Long, List<String>> written = new HashMap<>();
        List<Row> rows =
                spark.read().parquet(out.toString()).orderBy("query_id", "rank").collectAsList();
        for (Row r : rows) {
            List<String> list = written.computeIfAbsent(r.getLong(0), q -> new ArrayList<>());
            assertEquals(list.size() + 1, r.getInt(1), "query " + r.getLong(0) + ": ranks 1, 2, ... once each");
            list.add(r.getLong(2) + ":" + r.getInt(3));
        }
        assertEquals(expected.keySet(), written.keySet(), "every query once");
        for (Map.Entry<Long, List<String>> e : expected.entrySet())
            assertEquals(e.getValue(), written.get(e.getKey()), "query " + e.getKey());
        assertEquals((long) queries.size() * K, rows.size());
    }

    /** {@code q}'s nearest database rows by (distance, id): the definition the job and the service must meet. */
    private static List<String> topK(Row q, List<Row> database) {
        long[] keys = new long[database.size()];
        for (int i = 0; i < keys.length; i++)
            keys[i] = ((long) CodeTableFixture.distance(q, database.get(i)) << 32) | i;
        Arrays.sort(keys); // the rows are in ascending id order: ties by position are ties by id
        List<String> top = new ArrayList<>();
        for (int i = 0; i < K; i++) {
            Row r = database.get((int) keys[i]);
            top.add(r.getLong(0) + ":" + (keys[i] >>> 32));
        }
        return top;
    }

    /** Waits until the job has begun writing {@code out}: a part file in its staging directory. */
    private static void awaitAPartFile(Process job, Path log, Path out) throws Exception {
        Faults.await(
                "a neighbour part file",
                job,
                log,
                600,
                () -> !Faults.stagedParts(out).isEmpty());
    }

    private static boolean contains(Path log, String text) {
        try {
            return Faults.read(log).contains(text);
        } catch (IOException notYet) {
            return false;
        }
    }

    /** The table and any staging, set-aside or claim files of it beside it. */
    private static List<Path> siblings(Path table) throws IOException {
        String name = table.getFileName().toString();
        try (Stream<Path> all = Files.list(table.getParent())) {
            return all.filter(p -> p.getFileName().toString().equals(name)
                            || p.getFileName().toString().startsWith("." + name + "."))
                    .collect(Collectors.toList());
        }
    }
}
