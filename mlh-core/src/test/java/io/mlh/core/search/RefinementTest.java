package io.mlh.core.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RefinementTest {
    /** Scores of positions 0..6. */
    private static final double[] SCORE = {0.1, 0.9, 0.5, 0.9, -0.2, 0.7, 1.0};

    @Test
    void reordersTheFirstRByScoreThenPositionAndLeavesTheRest() {
        int[] order = {5, 3, 1, 0, 6, 2, 4};
        double[] scores = new double[3];
        Refinement.top(3).rerank(order, order.length, i -> SCORE[i], scores);
        assertArrayEquals(new int[] {1, 3, 5, 0, 6, 2, 4}, order); // 1 and 3 tie at 0.9: by position
        assertArrayEquals(new double[] {0.9, 0.9, 0.7}, scores, 0);
    }

    @Test
    void moreCandidatesThanTheListReranksAllOfIt() {
        int[] order = {5, 3, 1, 0, 6, 2, 4, 99};
        Refinement.top(100).rerank(order, 7, i -> SCORE[i], null);
        assertArrayEquals(new int[] {6, 1, 3, 5, 2, 0, 4, 99}, order); // only the first 7 entries are the list
        assertEquals(7, Refinement.top(100).within(7));
    }

    @Test
    void noneIsTheHammingOrder() {
        int[] order = {5, 3, 1};
        Refinement.NONE.rerank(order, 3, i -> SCORE[i], null);
        assertArrayEquals(new int[] {5, 3, 1}, order);
        assertFalse(Refinement.NONE.reranks());
        assertTrue(Refinement.top(1).reranks());
        assertEquals("refine 100", Refinement.top(100).toString());
        assertThrows(IllegalArgumentException.class, () -> Refinement.top(0));
    }

    @Test
    void beforeIsHigherScoreThenLowerId() {
        assertTrue(Refinement.before(0.5, 9, 0.4, 1));
        assertTrue(Refinement.before(0.5, 1, 0.5, 2));
        assertFalse(Refinement.before(0.5, 2, 0.5, 2));
        assertFalse(Refinement.before(0.4, 1, 0.5, 9));
    }
}
