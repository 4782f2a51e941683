package io.mlh.bench.accuracy;

import io.mlh.bench.accuracy.AccuracyGrid.DataSet;
import io.mlh.bench.accuracy.AccuracyGrid.Variant;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The results table, read back and summarised: per data set a markdown table of mAP (mean ± sample
 * standard deviation over seeds, and the seed count) by variant and bits, then the issue's goal per
 * bit length: MLH's mean at or above the best single-branch baseline's (csq, mds, dpsh), with the
 * difference's standard error where both sides have several seeds; then each MLH ablation against MLH.
 * {@code main} prints the summary of a results file without running anything.
 */
public final class AccuracySummary {
    private AccuracySummary() {}

    public static void main(String[] args) throws IOException {
        print(read(Paths.get(args.length > 0 ? args[0] : "mlh-bench/results/accuracy.csv")), System.out);
    }

    /** One results row: the cell's key and its mAP. */
    public static final class Row {
        final String dataset, variant;
        final int bits, seed;
        final double map;

        Row(String dataset, String variant, int bits, int seed, double map) {
            this.dataset = dataset;
            this.variant = variant;
            this.bits = bits;
            this.seed = seed;
            this.map = map;
        }

        String key() {
            return dataset + "," + variant + "," + bits + "," + seed;
        }
    }

    static List<Row> read(Path csv) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.exists(csv)) return rows;
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) continue;
            String[] f = line.split(",");
            if (f.length < 5) throw new IOException(csv + " line " + (i + 1) + ": " + f.length + " fields, expected the header's");
            rows.add(new Row(f[0], f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Double.parseDouble(f[4])));
        }
        return rows;
    }

    /** Mean, sample standard deviation (0 for one seed) and count of the rows' mAP. */
    static double[] stats(List<Row> rows) {
        double mean = 0;
        for (Row r : rows) mean += r.map / rows.size();
        double var = 0;
        for (Row r : rows) var += (r.map - mean) * (r.map - mean);
        return new double[] {mean, rows.size() > 1 ? Math.sqrt(var / (rows.size() - 1)) : 0, rows.size()};
    }

    static List<Row> select(List<Row> rows, String dataset, String variant, int bits) {
        return rows.stream().filter(r -> r.dataset.equals(dataset) && r.variant.equals(variant) && r.bits == bits)
                .collect(Collectors.toList());
    }

    static void print(List<Row> rows, PrintStream out) {
        for (DataSet d : DataSet.values()) {
            if (rows.stream().noneMatch(r -> r.dataset.equals(d.id))) continue;
            out.printf(Locale.ROOT, "%n%s, %s (mean ± sd over seeds, seeds in brackets)%n%n", d.id, d.topK == 0 ? "mAP@all" : "mAP@" + d.topK);
            out.print("| variant |");
            for (int b : AccuracyGrid.BITS) out.printf(" %d bits |", b);
            out.print("\n|---|");
            for (int ignored : AccuracyGrid.BITS) out.print("---:|");
            out.println();
            for (Variant v : Variant.values()) {
                StringBuilder line = new StringBuilder("| " + v.id + " |");
                boolean any = false;
                for (int b : AccuracyGrid.BITS) {
                    List<Row> cell = select(rows, d.id, v.id, b);
                    if (cell.isEmpty()) {
                        line.append(" |");
                        continue;
                    }
                    any = true;
                    double[] s = stats(cell);
                    line.append(String.format(Locale.ROOT, s[2] > 1 ? " %.4f ± %.4f (%d) |" : " %.4f (%3$d) |", s[0], s[1], (int) s[2]));
                }
                if (any) out.println(line);
            }
            out.println();
            for (int b : AccuracyGrid.BITS) out.println(goal(rows, d, b));
            for (int b : AccuracyGrid.BITS) {
                for (Variant v : Variant.values()) {
                    String line = ablation(rows, d, v, b);
                    if (line != null) out.println(line);
                }
            }
        }
    }

    /**
     * One ablation at one bit length against MLH at its defaults (the same cell without the change), or
     * null when either side has no rows. {@code dual} is MLH without experts, so it is read as one too.
     */
    static String ablation(List<Row> rows, DataSet d, Variant v, int bits) {
        if (v.kind != AccuracyGrid.Kind.ABLATION && v != Variant.DUAL) return null;
        List<Row> a = select(rows, d.id, v.id, bits), mlh = select(rows, d.id, Variant.MLH.id, bits);
        if (a.isEmpty() || mlh.isEmpty()) return null;
        double[] s = stats(a), m = stats(mlh);
        return String.format(Locale.ROOT, "ablation %s %d bits: %s %.4f vs mlh %.4f (%s)",
                d.id, bits, v == Variant.DUAL ? "dual (moh=none)" : v.id, s[0], m[0], difference(s, m));
    }

    /** The goal at one bit length: MLH's mean against the best single-branch baseline's mean. */
    static String goal(List<Row> rows, DataSet d, int bits) {
        List<Row> mlh = select(rows, d.id, Variant.MLH.id, bits);
        String best = null;
        double bestMean = -1;
        double[] bestStats = null;
        List<String> missing = new ArrayList<>();
        for (Variant v : Variant.values()) {
            if (!v.singleBranch()) continue;
            List<Row> r = select(rows, d.id, v.id, bits);
            if (r.isEmpty()) {
                missing.add(v.id);
                continue;
            }
            double[] st = stats(r);
            if (st[0] > bestMean) {
                bestMean = st[0];
                bestStats = st;
                best = v.id;
            }
        }
        if (mlh.isEmpty() || !missing.isEmpty()) {
            List<String> absent = new ArrayList<>(missing);
            if (mlh.isEmpty()) absent.add(0, "mlh");
            return String.format(Locale.ROOT, "goal %s %d bits: incomplete (no rows yet for %s)", d.id, bits, String.join(", ", absent));
        }
        double[] m = stats(mlh);
        return String.format(Locale.ROOT, "goal %s %d bits: mlh %.4f vs best single-branch %s %.4f: %s (%s)",
                d.id, bits, m[0], best, bestMean, m[0] >= bestMean ? "met" : "NOT met", difference(m, bestStats));
    }

    /**
     * The difference of two means with its standard error, sqrt(s1^2/n1 + s2^2/n2), and whether it is
     * within two of them; a side with one seed has no spread to give one.
     */
    static String difference(double[] a, double[] b) {
        double diff = a[0] - b[0];
        if (a[2] < 2 || b[2] < 2) return String.format(Locale.ROOT, "%+.4f; one seed on a side, no s.e.", diff);
        double se = Math.sqrt(a[1] * a[1] / a[2] + b[1] * b[1] / b[2]);
        return String.format(Locale.ROOT, "%+.4f ± %.4f s.e., %s", diff, se, Math.abs(diff) <= 2 * se ? "within 2 s.e." : "beyond 2 s.e.");
    }
}
