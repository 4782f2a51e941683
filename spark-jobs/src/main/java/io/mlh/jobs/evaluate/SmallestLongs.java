package io.mlh.jobs.evaluate;

import java.util.Arrays;

/**
 * The {@code capacity} smallest of the values offered: a max-heap on a growable array, so memory
 * follows what is actually kept (a whole-database capacity costs nothing up front).
 */
final class SmallestLongs {
    private final int capacity;
    private long[] heap = new long[16];
    private int size;

    SmallestLongs(int capacity) {
        this.capacity = capacity;
    }

    void offer(long v) {
        if (size < capacity) {
            if (size == heap.length) heap = Arrays.copyOf(heap, (int) Math.min((long) capacity, 2L * size));
            heap[size] = v;
            up(size++);
        } else if (capacity > 0 && v < heap[0]) {
            heap[0] = v;
            down(0);
        }
    }

    /** The kept values, ascending. */
    long[] sorted() {
        long[] out = Arrays.copyOf(heap, size);
        Arrays.sort(out);
        return out;
    }

    private void up(int i) {
        long v = heap[i];
        while (i > 0 && heap[(i - 1) >>> 1] < v) {
            heap[i] = heap[(i - 1) >>> 1];
            i = (i - 1) >>> 1;
        }
        heap[i] = v;
    }

    private void down(int i) {
        long v = heap[i];
        for (int c = 2 * i + 1; c < size; i = c, c = 2 * i + 1) {
            if (c + 1 < size && heap[c + 1] > heap[c]) c++;
            if (heap[c] <= v) break;
            heap[i] = heap[c];
        }
        heap[i] = v;
    }
}
