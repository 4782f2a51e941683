package io.mlh.jobs.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** An evaluation as {@code metrics.json} (every figure, doubles in full) and as a short human table. */
final class MetricsReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsReport() {}

    static ObjectNode json(EvaluateJob.Result r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("bits", r.bits);
        o.put("queries", r.queries);
        o.put("database", r.database);
        o.put("top_k", r.mapAt);
        o.put("rerank", r.rerank.toString());
        o.put("map", r.map);
        o.put("precision_within_radius_2", r.precisionWithinRadius2);
        ObjectNode pn = o.putObject("precision_at_n");
        for (int j = 0; j < r.precisionAt.length; j++) pn.put(Integer.toString(r.precisionAt[j]), r.precisionAtN[j]);
        ArrayNode pr = o.putArray("pr_curve");
        for (int d = 0; d <= r.bits; d++) {
            pr.addObject()
                    .put("radius", d)
                    .put("precision", r.precisionByRadius[d])
                    .put("recall", r.recallByRadius[d]);
        }
        o.put("query_codes", r.queryCodes);
        o.put("database_codes", r.databaseCodes);
        return o;
    }

    /** Writes metrics.json into the (staging) report directory. */
    static void write(Configuration hadoop, EvaluateJob.Result r, Path dir) throws IOException {
        Path file = new Path(dir, EvaluateJob.METRICS);
        try (OutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json(r)));
        }
    }

    /** The headline figures and the PR curve at radii 0..4 and every eighth of the code length. */
    static String table(EvaluateJob.Result r) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                Locale.ROOT,
                "%d queries x %d database items, %d bits, re-ranking %s (%s against %s)%n",
                r.queries,
                r.database,
                r.bits,
                r.rerank,
                r.queryCodes,
                r.databaseCodes));
        t.append(String.format(
                Locale.ROOT, "  %-10s %.4f%n", "mAP@" + (r.mapAt == 0 ? "all" : Integer.toString(r.mapAt)), r.map));
        t.append(String.format(Locale.ROOT, "  %-10s %.4f%n", "P@H<=2", r.precisionWithinRadius2));
        for (int j = 0; j < r.precisionAt.length; j++) {
            t.append(String.format(Locale.ROOT, "  %-10s %.4f%n", "P@" + r.precisionAt[j], r.precisionAtN[j]));
        }
        t.append(String.format(Locale.ROOT, "  %6s %9s %9s%n", "radius", "precision", "recall"));
        int step = Math.max(1, r.bits / 8);
        for (int d = 0; d <= r.bits; d++) {
            if (d <= 4 || d % step == 0) {
                t.append(String.format(
                        Locale.ROOT, "  %6d %9.4f %9.4f%n", d, r.precisionByRadius[d], r.recallByRadius[d]));
            }
        }
        return t.toString();
    }
}
