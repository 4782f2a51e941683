package io.mlh.jobs.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.Html;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code report.html} beside {@code metrics.json}: the headline figures, the PR curve by Hamming radius,
 * precision@N and, when {@code jobs.evaluate.compare-reports} names earlier reports, mAP against code length, as
 * PNG plots drawn by JFreeChart on a headless AWT; then the retrieval gallery, its thumbnails inline. A plain page with relative links: it opens from a
 * local copy of the report directory, or from HDFS through any file browser.
 */
final class HtmlReport {
    static final String PAGE = "report.html",
            PR_CURVE = "pr-curve.png",
            PRECISION_AT_N = "precision-at-n.png",
            MAP_BY_BITS = "map-by-bits.png";
    static final int WIDTH = 800, HEIGHT = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private HtmlReport() {}

    /** One evaluation's headline figures, for the comparison across code lengths. */
    static final class Point {
        final String report;
        final int bits, mapAt;
        final double map;

        Point(String report, int bits, int mapAt, double map) {
            this.report = report;
            this.bits = bits;
            this.mapAt = mapAt;
            this.map = map;
        }
    }

    /** The figures of committed report directories (their metrics.json). */
    static List<Point> read(Configuration hadoop, List<String> reports) throws IOException {
        List<Point> points = new ArrayList<>();
        for (String report : reports) {
            Path file = new Path(CommittedOutput.requireCommitted(hadoop, report), EvaluateJob.METRICS);
            try (InputStream in = file.getFileSystem(hadoop).open(file)) {
                JsonNode m = JSON.readTree(in);
                points.add(new Point(
                        report,
                        m.get("bits").asInt(),
                        m.get("top_k").asInt(),
                        m.get("map").asDouble()));
            }
        }
        return points;
    }

    /** Writes the page (with the retrieval {@code gallery} section, if not null) and its plots into the (staging) report directory. */
    static void write(Configuration hadoop, EvaluateJob.Result r, List<Point> compared, String gallery, Path dir)
            throws IOException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        png(hadoop, new Path(dir, PR_CURVE), prCurve(r));
        png(hadoop, new Path(dir, PRECISION_AT_N), precisionAtN(r));
        List<Point> all = new ArrayList<>(compared);
        if (!compared.isEmpty()) {
            all.add(new Point(r.report, r.bits, r.mapAt, r.map));
            png(hadoop, new Path(dir, MAP_BY_BITS), mapByBits(all));
        }
        Path page = new Path(dir, PAGE);
        try (OutputStream out = page.getFileSystem(hadoop).create(page, true)) {
            out.write(html(r, compared.isEmpty() ? compared : all, gallery).getBytes(StandardCharsets.UTF_8));
        }
    }

    static JFreeChart prCurve(EvaluateJob.Result r) {
        XYSeries s = new XYSeries("Hamming radius 0.." + r.bits, false, true);
        for (int d = 0; d <= r.bits; d++) s.add(r.recallByRadius[d], r.precisionByRadius[d]);
        JFreeChart chart = ChartFactory.createXYLineChart(
                "Precision-recall by Hamming radius (" + r.bits + " bits)",
                "recall",
                "precision",
                new XYSeriesCollection(s),
                PlotOrientation.VERTICAL,
                true,
                false,
                false);
        style(chart, true);
        unitRange(chart.getXYPlot().getDomainAxis());
        unitRange(chart.getXYPlot().getRangeAxis());
        return chart;
    }

    static JFreeChart precisionAtN(EvaluateJob.Result r) {
        XYSeries s = new XYSeries("precision@N", true, false);
        for (int j = 0; j < r.precisionAt.length; j++) {
            int n = Math.min(r.precisionAt[j], r.database); // N beyond the database is the whole database: one point
            if (s.indexOf(n) < 0) s.add(n, r.precisionAtN[j]);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(
                "Precision of the top N (" + r.bits + " bits, " + r.queries + " queries)",
                "N (top-ranked database items)",
                "precision",
                new XYSeriesCollection(s),
                PlotOrientation.VERTICAL,
                true,
                false,
                false);
        style(chart, true);
        unitRange(chart.getXYPlot().getRangeAxis());
        return chart;
    }

    /** Mean mAP over the reports at each code length (several runs at one length: several seeds). */
    static JFreeChart mapByBits(List<Point> points) {
        Map<Integer, double[]> byBits = new TreeMap<>();
        for (Point p : points) {
            double[] sum = byBits.computeIfAbsent(p.bits, b -> new double[2]);
            sum[0] += p.map;
            sum[1]++;
        }
        XYSeries mean = new XYSeries("mean mAP over the reports", true, false);
        for (Map.Entry<Integer, double[]> e : byBits.entrySet())
            mean.add(e.getKey().intValue(), e.getValue()[0] / e.getValue()[1]);
        XYSeries each = new XYSeries("each report", false, true);
        for (Point p : points) each.add(p.bits, p.map);
        XYSeriesCollection data = new XYSeriesCollection(mean);
        data.addSeries(each);
        JFreeChart chart = ChartFactory.createXYLineChart(
                "mAP by code length", "bits", "mAP", data, PlotOrientation.VERTICAL, true, false, false);
        style(chart, true);
        XYLineAndShapeRenderer renderer =
                (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        renderer.setSeriesLinesVisible(1, false); // single runs as dots around the mean line
        renderer.setSeriesPaint(1, new Color(0xD62728));
        NumberAxis bits = (NumberAxis) chart.getXYPlot().getDomainAxis();
        bits.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        return chart;
    }

    private static void style(JFreeChart chart, boolean shapes) {
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(new Color(0xF4F6F8));
        plot.setDomainGridlinePaint(new Color(0xC8CDD2));
        plot.setRangeGridlinePaint(new Color(0xC8CDD2));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, shapes);
        renderer.setSeriesPaint(0, new Color(0x1F77B4));
        renderer.setSeriesStroke(0, new BasicStroke(2.5f));
        plot.setRenderer(renderer);
    }

    private static void unitRange(org.jfree.chart.axis.ValueAxis axis) {
        axis.setRange(0, 1.02);
    }

    private static void png(Configuration hadoop, Path file, JFreeChart chart) throws IOException {
        try (OutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        }
    }

    static String html(EvaluateJob.Result r, List<Point> compared, String gallery) {
        StringBuilder h = new StringBuilder();
        String mapLabel = "mAP@" + (r.mapAt == 0 ? "all" : Integer.toString(r.mapAt));
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MLH evaluation: ")
                .append(r.bits)
                .append(
                        " bits</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
                                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
                                + "th{background:#f4f6f8}td.l{text-align:left}img{display:block;margin:1em 0}</style></head><body>\n");
        h.append("<h1>MLH evaluation: ").append(r.bits).append(" bits</h1>\n");
        h.append("<p>")
                .append(r.queries)
                .append(" queries (")
                .append(Html.escape(r.queryCodes))
                .append(") against ")
                .append(r.database)
                .append(" database items (")
                .append(Html.escape(r.databaseCodes))
                .append("); every figure is also in <a href=\"")
                .append(EvaluateJob.METRICS)
                .append("\">")
                .append(EvaluateJob.METRICS)
                .append("</a>.</p>\n");
        h.append("<table id=\"headline\"><tr><th>metric</th><th>value</th></tr>\n");
        row(h, mapLabel, r.map);
        row(h, "P@H&lt;=2", r.precisionWithinRadius2);
        for (int j = 0; j < r.precisionAt.length; j++) row(h, "P@" + r.precisionAt[j], r.precisionAtN[j]);
        h.append("</table>\n");
        figure(h, PR_CURVE, "Precision and recall within each Hamming radius 0.." + r.bits);
        figure(h, PRECISION_AT_N, "Precision of the N top-ranked database items");
        if (!compared.isEmpty()) {
            figure(h, MAP_BY_BITS, "mAP of this and the compared reports by code length");
            h.append("<table id=\"compared\"><tr><th>report</th><th>bits</th><th>top K</th><th>mAP</th></tr>\n");
            for (Point p : compared) {
                h.append("<tr><td class=\"l\">")
                        .append(Html.escape(p.report))
                        .append("</td><td>")
                        .append(p.bits)
                        .append("</td><td>")
                        .append(p.mapAt == 0 ? "all" : Integer.toString(p.mapAt))
                        .append("</td><td>")
                        .append(fmt(p.map))
                        .append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        if (gallery != null) h.append(gallery);
        h.append("<h2>PR curve</h2>\n<table id=\"pr\"><tr><th>radius</th><th>precision</th><th>recall</th></tr>\n");
        for (int d = 0; d <= r.bits; d++) {
            h.append("<tr><td>")
                    .append(d)
                    .append("</td><td>")
                    .append(fmt(r.precisionByRadius[d]))
                    .append("</td><td>")
                    .append(fmt(r.recallByRadius[d]))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String name, double value) {
        h.append("<tr><td class=\"l\">")
                .append(name)
                .append("</td><td>")
                .append(fmt(value))
                .append("</td></tr>\n");
    }

    private static void figure(StringBuilder h, String png, String caption) {
        h.append("<figure><img src=\"")
                .append(png)
                .append("\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(HEIGHT)
                .append("\" alt=\"")
                .append(caption)
                .append("\"><figcaption>")
                .append(caption)
                .append("</figcaption></figure>\n");
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
