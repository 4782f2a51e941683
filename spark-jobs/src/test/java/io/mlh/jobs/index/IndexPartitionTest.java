package io.mlh.jobs.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IndexPartitionTest {
    @Test
    void idOrderSortsLikeAStableSortAndGathersRowsWithTheirIds() {
        SplittableRandom random = new SplittableRandom(11);
        for (int n : new int[] {0, 1, 2, 3, 7, 64, 1000, 4097}) {
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) ids[i] = random.nextLong(-500, 500); // negative ids and repeats too
            int[] order = IndexPartition.IdOrder.of(ids);
            Integer[] expected = new Integer[n];
            for (int i = 0; i < n; i++) expected[i] = i;
            Arrays.sort(expected, (a, b) -> Long.compare(ids[a], ids[b])); // stable: repeats keep their order
            assertArrayEquals(
                    Arrays.stream(expected).mapToInt(Integer::intValue).toArray(), order, "n = " + n);

            long[] rows = new long[3 * n]; // three words a row, each naming its row's id
            for (int i = 0; i < n; i++) for (int w = 0; w < 3; w++) rows[3 * i + w] = ids[i] * 10 + w;
            long[] gathered = IndexPartition.IdOrder.gather(rows, order, 3);
            long[] sorted = IndexPartition.IdOrder.gather(ids, order, 1);
            for (int i = 0; i < n; i++)
                for (int w = 0; w < 3; w++)
                    assertArrayEquals(new long[] {sorted[i] * 10 + w}, new long[] {gathered[3 * i + w]});
        }
    }
}
