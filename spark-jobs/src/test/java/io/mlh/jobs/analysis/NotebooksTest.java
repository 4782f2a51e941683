package io.mlh.jobs.analysis;

import static io.mlh.jobs.analysis.AnalysisPipeline.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mlh.zeppelin.Notebooks;
import io.mlh.zeppelin.ZeppelinProcess;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every Zeppelin note under {@code notebooks/} against the analysis pipeline's outputs: paragraph by
 * paragraph with Spark SQL here, and in a real Zeppelin server.
 */
@ExtendWith(AnalysisPipeline.Use.class)
class NotebooksTest {
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
