package io.mlh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints the benchmark figures of one run side by side: lines {@code <what> <label> <img/s>} from the
 * benchmarks (Java and PyTorch), grouped by what was measured, each with its ratio to the group's
 * reference figure of the same run (PyTorch's; the training step's for the train job) and the goal.
 * Benchmarks that measure more than one figure a row (ranking, memory) print their own markdown table
 * rows ({@code | ... |}) and notes ({@code - ...}): those are carried to the page as they are.
 * Arguments: [--page FILE --section NAME] result files.
 */
public final class SpeedTable {
    private SpeedTable() {}

    /**
     * The group a figure of {@code kind} ("train", "encode", "input") is printed in: the kind alone for
     * the 28-32 px backbones, the kind and the backbone for the 224-px ones ("train-resnet-50").
     */
    static String group(String kind, io.mlh.core.config.MlhConfig c) {
        return c.backbone().isVggSmall() ? kind : kind + "-" + c.backbone().configName();
    }

    /**
     * The label of the figure a group's others are set against: the step for the train job, what the
     * training step consumes a core for the input side, else PyTorch.
     */
    static String reference(String what) {
        if (what.startsWith("train-job")) return "step";
        if (what.startsWith("input")) return "trainer-per-core";
        return "pytorch";
    }

    /**
     * The goal, as a multiple of the reference: the train job within 10% of the step; 1.6x PyTorch for
     * the 224-px training step, 1.8x for 224-px encoding, one core's input 3x what the step consumes a
     * core, 1.5x otherwise.
     */
    static double goal(String what) {
        if (what.startsWith("train-job")) return 0.9;
        if (what.startsWith("input")) return 3.0;
        if (what.startsWith("train-resnet")) return 1.6;
        if (what.startsWith("encode-resnet")) return 1.8;
        return 1.5;
    }

    /**
     * Arguments: [--page FILE --section NAME] result files. Prints the tables; with a page, also writes
     * them as markdown between the page's {@code <!-- speed:NAME -->} and {@code <!-- /speed:NAME -->}
     * markers, under the run's header line ({@link RunHeader}).
     */
    public static void main(String[] args) throws IOException {
        String page = null, section = null;
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--page")) page = args[++i];
            else if (args[i].equals("--section")) section = args[++i];
            else files.add(args[i]);
        }
        Map<String, Map<String, Double>> byWhat = new LinkedHashMap<>();
        List<String> runs = new ArrayList<>(), verbatim = new ArrayList<>();
        for (String file : files) {
            for (String line : Files.readAllLines(Paths.get(file))) {
                if (line.startsWith(RunHeader.PREFIX)) {
                    runs.add(line.substring(RunHeader.PREFIX.length()).trim());
                    continue;
                }
                if (line.startsWith("|") || line.startsWith("- ")) {
                    verbatim.add(line);
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                if (f.length != 3 || line.startsWith("#")) continue;
                try {
                    byWhat.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], Double.parseDouble(f[2]));
                } catch (NumberFormatException notAFigure) {
                    // log lines that happen to have three words
                }
            }
        }
        for (Map.Entry<String, Map<String, Double>> e : byWhat.entrySet()) {
            String reference = reference(e.getKey());
            Double ref = e.getValue().get(reference);
            double goal = goal(e.getKey());
            System.out.printf("%n%s (img/s, same machine, same run; goal >= %.1fx %s)%n", e.getKey(), goal, reference);
            System.out.printf("  %-28s %10s %10s%n", "", "img/s", "x " + reference);
            List<String> labels = new ArrayList<>(e.getValue().keySet());
            for (String label : labels) {
                double v = e.getValue().get(label);
                String ratio = ref == null || label.equals(reference)
                        ? ""
                        : String.format("%.2f%s", v / ref, v / ref >= goal ? " ok" : "");
                System.out.printf("  %-28s %10.1f %10s%n", label, v, ratio);
            }
        }
        if (page != null) writeSection(Paths.get(page), section, markdown(byWhat, runs, verbatim));
    }

    /** The tables as markdown, under the runs' header lines, then the benchmarks' own rows and notes. */
    static String markdown(Map<String, Map<String, Double>> byWhat, List<String> runs, List<String> verbatim) {
        StringBuilder b = new StringBuilder();
        for (String run : runs) b.append("Run: ").append(run).append(".\n");
        for (Map.Entry<String, Map<String, Double>> e : byWhat.entrySet()) {
            String reference = reference(e.getKey());
            Double ref = e.getValue().get(reference);
            double goal = goal(e.getKey());
            b.append(String.format(
                    java.util.Locale.ROOT,
                    "%n| %s (img/s) | img/s | x %s | goal >= %.1fx |%n|---|---:|---:|---|%n",
                    e.getKey(),
                    reference,
                    goal));
            for (Map.Entry<String, Double> v : e.getValue().entrySet()) {
                boolean isRef = ref == null || v.getKey().equals(reference);
                double ratio = isRef ? 0 : v.getValue() / ref;
                b.append(String.format(
                        java.util.Locale.ROOT,
                        "| %s | %.1f | %s | %s |%n",
                        v.getKey(),
                        v.getValue(),
                        isRef ? "" : String.format(java.util.Locale.ROOT, "%.2f", ratio),
                        isRef ? "" : ratio >= goal ? "met" : "not met"));
            }
        }
        // the rows make one table (a note between them would split it); the notes follow it
        boolean blank = true;
        for (String line : verbatim) {
            if (!line.startsWith("|")) continue;
            if (blank) b.append('\n'); // markdown needs a blank line before a table
            b.append(line).append('\n');
            blank = false;
        }
        blank = true;
        for (String line : verbatim) {
            if (line.startsWith("|")) continue;
            if (blank) b.append('\n');
            b.append(line).append('\n');
            blank = false;
        }
        return b.toString();
    }

    /** Replaces what lies between the section's markers of {@code page}; fails if the page has no such markers. */
    static void writeSection(java.nio.file.Path page, String section, String body) throws IOException {
        String open = "<!-- speed:" + section + " -->", close = "<!-- /speed:" + section + " -->";
        String s = new String(Files.readAllBytes(page), java.nio.charset.StandardCharsets.UTF_8);
        int a = s.indexOf(open), z = s.indexOf(close);
        if (a < 0 || z < a) throw new IOException(page + " has no " + open + " ... " + close + " section");
        String out = s.substring(0, a + open.length()) + "\n" + body + "\n" + s.substring(z);
        Files.write(page, out.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
