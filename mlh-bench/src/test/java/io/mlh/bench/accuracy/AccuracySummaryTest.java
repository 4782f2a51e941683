package io.mlh.bench.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.bench.accuracy.AccuracyGrid.DataSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The results table read back: means and spreads over seeds, and the goal lines. */
class AccuracySummaryTest {
    @TempDir
    Path dir;

    @Test
    void meansAndSpreadsOverSeeds() throws IOException {
        List<AccuracySummary.Row> rows = AccuracySummary.read(csv(
                "fashion-mnist,mlh,64,1,0.80",
                "fashion-mnist,mlh,64,2,0.82",
                "fashion-mnist,mlh,64,3,0.84",
                "fashion-mnist,csq,64,1,0.81"));
        double[] s = AccuracySummary.stats(AccuracySummary.select(rows, "fashion-mnist", "mlh", 64));
        assertEquals(0.82, s[0], 1e-12);
        assertEquals(0.02, s[1], 1e-12); // sample standard deviation
        assertEquals(3, s[2]);
        double[] one = AccuracySummary.stats(AccuracySummary.select(rows, "fashion-mnist", "csq", 64));
        assertEquals(0.81, one[0], 1e-12);
        assertEquals(0, one[1]);

        String printed = print(rows);
        assertTrue(printed.contains("| mlh | | | 0.8200 ± 0.0200 (3) |"), printed);
        assertTrue(printed.contains("| csq | | | 0.8100 (1) |"), printed);
    }

    @Test
    void theGoalIsTheMeanAgainstTheBestSingleBranchBaseline() throws IOException {
        List<AccuracySummary.Row> rows = AccuracySummary.read(csv(
                "cifar10,mlh,16,1,0.42",
                "cifar10,csq,16,1,0.43",
                "cifar10,mds,16,1,0.41",
                "cifar10,dpsh,16,1,0.30",
                "cifar10,dual,16,1,0.50", // two branches: not a baseline the goal names
                "cifar10,mlh,32,1,0.44",
                "cifar10,mlh,32,2,0.47",
                "cifar10,csq,32,1,0.44",
                "cifar10,mds,32,1,0.45",
                "cifar10,dpsh,32,1,0.20",
                "cifar10,mlh,64,1,0.50",
                "cifar10,csq,64,1,0.40",
                "cifar10-2,mlh,64,1,0.60",
                "cifar10-2,csq,64,1,0.62",
                "cifar10-2,dpsh,64,1,0.70")); // a row of a method cifar10-2's grid leaves out
        assertEquals(
                "goal cifar10 16 bits: mlh 0.4200 vs best single-branch csq 0.4300: NOT met (-0.0100; one seed on a side, no s.e.)",
                AccuracySummary.goal(rows, DataSet.CIFAR10, 16));
        assertEquals(
                "goal cifar10 32 bits: mlh 0.4550 vs best single-branch mds 0.4500: met (+0.0050; one seed on a side, no s.e.)",
                AccuracySummary.goal(rows, DataSet.CIFAR10, 32));
        assertEquals(
                "goal cifar10 64 bits: incomplete (no rows yet for mds, dpsh)",
                AccuracySummary.goal(rows, DataSet.CIFAR10, 64));
        assertEquals(
                "goal mosaic 16 bits: incomplete (no rows yet for mlh, csq, mds, dpsh)",
                AccuracySummary.goal(rows, DataSet.MOSAIC, 16));
        // cifar10-2 runs csq and mds alone of the baselines: dpsh is neither awaited nor compared with
        assertEquals(
                "goal cifar10-2 64 bits: incomplete (no rows yet for mds)",
                AccuracySummary.goal(rows, DataSet.CIFAR10_2, 64));
        List<AccuracySummary.Row> withMds = new java.util.ArrayList<>(rows);
        withMds.addAll(AccuracySummary.read(csv("cifar10-2,mds,64,1,0.50")));
        assertEquals(
                "goal cifar10-2 64 bits: mlh 0.6000 vs best single-branch csq 0.6200: NOT met (-0.0200; one seed on a side, no s.e.)",
                AccuracySummary.goal(withMds, DataSet.CIFAR10_2, 64));
        String printed = print(withMds);
        assertTrue(printed.contains("goal cifar10-2 64 bits"), printed);
        assertTrue(
                !printed.contains("goal cifar10-2 16 bits"),
                "a goal line at a length cifar10-2 does not run: " + printed);
    }

    @Test
    void theGoalLineGivesTheDifferencesStandardErrorWhenBothSidesHaveSeeds() throws IOException {
        // mlh 0.80 / 0.82 (mean 0.81, sd 0.01414); csq 0.79 / 0.79 / 0.82 (mean 0.80, sd 0.01732)
        List<AccuracySummary.Row> rows = AccuracySummary.read(csv(
                "fashion-mnist,mlh,64,1,0.80",
                "fashion-mnist,mlh,64,2,0.82",
                "fashion-mnist,csq,64,1,0.79",
                "fashion-mnist,csq,64,2,0.79",
                "fashion-mnist,csq,64,3,0.82",
                "fashion-mnist,mds,64,1,0.70",
                "fashion-mnist,dpsh,64,1,0.60",
                "fashion-mnist,mlh,16,1,0.70",
                "fashion-mnist,mlh,16,2,0.70",
                "fashion-mnist,csq,16,1,0.75",
                "fashion-mnist,csq,16,2,0.75",
                "fashion-mnist,mds,16,1,0.1",
                "fashion-mnist,dpsh,16,1,0.1"));
        double se = Math.sqrt(0.0002 / 2 + 0.0003 / 3); // 0.01414
        assertEquals(
                String.format(
                        java.util.Locale.ROOT,
                        "goal fashion-mnist 64 bits: mlh 0.8100 vs best single-branch csq 0.8000: met (+0.0100 ± %.4f s.e., within 2 s.e.)",
                        se),
                AccuracySummary.goal(rows, DataSet.FASHION, 64));
        // no spread on either side: any difference is beyond it
        assertEquals(
                "goal fashion-mnist 16 bits: mlh 0.7000 vs best single-branch csq 0.7500: NOT met (-0.0500 ± 0.0000 s.e., beyond 2 s.e.)",
                AccuracySummary.goal(rows, DataSet.FASHION, 16));
    }

    @Test
    void eachAblationIsReadAgainstMlhAtTheSameLength() throws IOException {
        List<AccuracySummary.Row> rows = AccuracySummary.read(csv(
                "fashion-mnist,mlh,64,1,0.80",
                "fashion-mnist,mlh,64,2,0.82",
                "fashion-mnist,mlh:moh=separate,64,1,0.77",
                "fashion-mnist,mlh:moh=separate,64,2,0.79",
                "fashion-mnist,dual,64,1,0.79",
                "fashion-mnist,mlh:K=2,32,1,0.75",
                "fashion-mnist,csq,64,1,0.81"));
        // sd 0.01414 on both sides: s.e. of the difference sqrt(2 x 0.0002 / 2) = 0.01414
        assertEquals(
                "ablation fashion-mnist 64 bits: mlh:moh=separate 0.7800 vs mlh 0.8100 (-0.0300 ± 0.0141 s.e., beyond 2 s.e.)",
                AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.MOH_SEPARATE, 64));
        assertEquals(
                "ablation fashion-mnist 64 bits: dual (moh=none) 0.7900 vs mlh 0.8100 (-0.0200; one seed on a side, no s.e.)",
                AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.DUAL, 64));
        // no mlh row at 32 bits, and csq is a method, not an ablation
        assertEquals(null, AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.EXPERTS_2, 32));
        assertEquals(null, AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.CSQ, 64));
        assertTrue(print(rows).contains("ablation fashion-mnist 64 bits: mlh:moh=separate"));
    }

    @Test
    void eachProbeIsReadAgainstTheVariantItChanges() throws IOException {
        List<AccuracySummary.Row> rows = AccuracySummary.read(csv(
                "fashion-mnist,mlh,64,1,0.80",
                "fashion-mnist,mlh:diversity=0.1,64,1,0.79",
                "fashion-mnist,csq,64,1,0.81",
                "fashion-mnist,csq:lr=cosine,64,1,0.82",
                "fashion-mnist,mds:scale=4,64,1,0.83"));
        assertEquals(
                "probe fashion-mnist 64 bits: mlh:diversity=0.1 0.7900 vs mlh 0.8000 (-0.0100; one seed on a side, no s.e.)",
                AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.DIVERSITY, 64));
        assertEquals(
                "probe fashion-mnist 64 bits: csq:lr=cosine 0.8200 vs csq 0.8100 (+0.0100; one seed on a side, no s.e.)",
                AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.CSQ_COSINE, 64));
        // no mds row to set mds:scale=4 against
        assertEquals(null, AccuracySummary.comparison(rows, DataSet.FASHION, AccuracyGrid.Variant.MDS_SCALE_4, 64));
        String printed = print(rows);
        assertTrue(printed.contains("probe fashion-mnist 64 bits: mlh:diversity=0.1 0.7900 vs mlh"), printed);
    }

    @Test
    void onlyTheSetsWithRowsArePrinted() throws IOException {
        String printed = print(AccuracySummary.read(csv("mosaic,mlh,16,1,0.61")));
        assertTrue(printed.contains("mosaic, mAP@5000"), printed);
        assertTrue(!printed.contains("fashion-mnist") && !printed.contains("cifar10"), printed);
        assertTrue(AccuracySummary.read(dir.resolve("absent.csv")).isEmpty());
    }

    @Test
    void aTruncatedRowIsRefusedWithItsLineNumber() throws IOException {
        Path bad = csv("fashion-mnist,mlh,16,1,0.80", "fashion-mnist,mlh,16");
        IOException e = assertThrows(IOException.class, () -> AccuracySummary.read(bad));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    private Path csv(String... rows) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(AccuracyBench.HEADER);
        lines.addAll(Arrays.asList(rows));
        return Files.write(dir.resolve("accuracy-" + System.nanoTime() + ".csv"), lines, StandardCharsets.UTF_8);
    }

    private static String print(List<AccuracySummary.Row> rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AccuracySummary.print(rows, new PrintStream(bytes, true, "UTF-8"));
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }
}
