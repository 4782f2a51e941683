package io.mlh.bench.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.bench.accuracy.AccuracyGrid.Cell;
import io.mlh.bench.accuracy.AccuracyGrid.DataSet;
import io.mlh.bench.accuracy.AccuracyGrid.Kind;
import io.mlh.bench.accuracy.AccuracyGrid.Variant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The grid the issue asks for, in the order a run cut short by its budget should leave behind. */
class AccuracyGridTest {
    private static final List<Cell> ALL = AccuracyGrid.cells(Arrays.asList(DataSet.values()));

    @Test
    void everyCellTheProtocolAsksForOnce() {
        Set<String> keys = new HashSet<>();
        for (Cell c : ALL) assertTrue(keys.add(c.key()), "twice: " + c);
        // 9 variants (moh.mode = none is the dual method) x 3 bits: Fashion-MNIST 3 seeds; CIFAR-10 1 seed,
        // 3 at 64 bits; mosaic 1 seed
        assertEquals(9 * 3 * 3, count(DataSet.FASHION));
        assertEquals(9 * (1 + 1 + 3), count(DataSet.CIFAR10));
        assertEquals(9 * 3, count(DataSet.MOSAIC));
        // cifar10-2: the methods MLH is measured against and MLH, at 64 bits, 2 seeds
        assertEquals(
                new HashSet<>(Arrays.asList(
                        "cifar10-2,mlh,64,1",
                        "cifar10-2,csq,64,1",
                        "cifar10-2,mds,64,1",
                        "cifar10-2,mlh,64,2",
                        "cifar10-2,csq,64,2",
                        "cifar10-2,mds,64,2")),
                ALL.stream()
                        .filter(c -> c.data == DataSet.CIFAR10_2)
                        .map(Cell::key)
                        .collect(Collectors.toSet()));
        assertEquals(159, ALL.size());
        for (Variant v : Variant.values()) {
            if (v.kind == Kind.PROBE) continue;
            for (int bits : AccuracyGrid.BITS) {
                for (int seed = 1; seed <= 3; seed++) {
                    assertTrue(
                            keys.contains(new Cell(DataSet.FASHION, v, bits, seed).key()),
                            v + " " + bits + " seed " + seed);
                }
            }
        }
        assertTrue(keys.contains("cifar10,mlh:K=8,64,3"));
        assertTrue(!keys.contains("cifar10,mlh:K=8,32,2"), "CIFAR-10 has extra seeds at 64 bits only");
    }

    @Test
    void methodsOnSeedOneComeFirstThenAblationsThenExtraSeeds() {
        int lastMethod = -1, firstAblation = Integer.MAX_VALUE, lastSeedOne = -1, firstExtraSeed = Integer.MAX_VALUE;
        for (int i = 0; i < ALL.size(); i++) {
            Cell c = ALL.get(i);
            if (c.seed == 1) {
                lastSeedOne = i;
                if (c.variant.kind == Kind.ABLATION) firstAblation = Math.min(firstAblation, i);
                else lastMethod = i;
            } else {
                firstExtraSeed = Math.min(firstExtraSeed, i);
            }
        }
        assertTrue(lastMethod < firstAblation, "a seed-1 ablation before a seed-1 method comparison cell");
        assertTrue(lastSeedOne < firstExtraSeed, "an extra seed before every seed-1 cell");
        assertSame(DataSet.FASHION, ALL.get(0).data);
        assertSame(Variant.MLH, ALL.get(0).variant);
        // only the sets asked for
        for (Cell c : AccuracyGrid.cells(Arrays.asList(DataSet.CIFAR10))) assertSame(DataSet.CIFAR10, c.data);
    }

    @Test
    void probesRunOnlyWhenAskedForByKey() {
        for (Cell c : ALL) assertTrue(c.variant.kind != Kind.PROBE, "a probe in the grid: " + c);
        List<Cell> picked = AccuracyGrid.cells(Arrays.asList(DataSet.values()), "cifar10,(mds|mlh:centre=mlh),64,1");
        assertEquals(
                Arrays.asList("cifar10,mds,64,1", "cifar10,mlh:centre=mlh,64,1"),
                picked.stream().map(Cell::key).collect(Collectors.toList()));
        // a pattern matches whole keys, and only in the sets asked for
        assertEquals(
                9,
                AccuracyGrid.cells(Arrays.asList(DataSet.FASHION), "fashion-mnist,mlh,.*")
                        .size()); // 3 bits x 3 seeds
        assertTrue(
                AccuracyGrid.cells(Arrays.asList(DataSet.FASHION), "cifar10,.*").isEmpty());
        assertTrue(AccuracyGrid.cells(Arrays.asList(DataSet.FASHION), "mlh").isEmpty());
        // a probe on cifar10-2 runs at its one length and two seeds, where its methods do
        assertEquals(
                Arrays.asList("cifar10-2,mlh:diversity=0.1,64,1", "cifar10-2,mlh:diversity=0.1,64,2"),
                AccuracyGrid.cells(Arrays.asList(DataSet.CIFAR10_2), "cifar10-2,mlh:diversity=0\\.1,.*").stream()
                        .map(Cell::key)
                        .collect(Collectors.toList()));
    }

    @Test
    void namesRoundTripAndUnknownOnesAreRefused() {
        for (Variant v : Variant.values()) assertSame(v, Variant.of(v.id));
        // a probe is named after the method it changes (the summary sets it against that method)
        for (Variant v : Variant.values()) {
            if (v.kind != Kind.PROBE) continue;
            assertTrue(v.id.indexOf(':') > 0, v.id);
            assertSame(Kind.METHOD, Variant.of(v.id.substring(0, v.id.indexOf(':'))).kind, v.id);
        }
        for (DataSet d : DataSet.values()) assertSame(d, DataSet.of(d.id));
        assertThrows(IllegalArgumentException.class, () -> Variant.of("mlh:K=3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataSet.of("mnist"));
        assertTrue(e.getMessage().contains("mnist"));
        // the single-branch baselines MLH is measured against
        assertEquals(
                new HashSet<>(Arrays.asList(Variant.CSQ, Variant.MDS, Variant.DPSH)),
                new HashSet<>(Arrays.asList(Arrays.stream(Variant.values())
                        .filter(Variant::singleBranch)
                        .toArray(Variant[]::new))));
        assertEquals(
                "cifar10-mlh_moh=separate-32-s2", new Cell(DataSet.CIFAR10, Variant.MOH_SEPARATE, 32, 2).dirName());
    }

    @Test
    void everyVariantIsAValidConfigurationAndNoTwoAreTheSame() {
        java.util.Map<String, Variant> seen = new java.util.HashMap<>();
        for (Variant v : Variant.values()) {
            io.mlh.core.config.MlhConfig c = io.mlh.core.config.MlhConfig.defaults();
            for (String o : v.overrides) {
                String[] kv = o.split("=", 2);
                c = c.with(kv[0], kv[1]); // validates
            }
            Variant before = seen.put(c.render(), v);
            assertTrue(before == null, v.id + " is the same configuration as " + (before == null ? "" : before.id));
        }
    }

    private static long count(DataSet d) {
        return ALL.stream().filter(c -> c.data == d).count();
    }
}
