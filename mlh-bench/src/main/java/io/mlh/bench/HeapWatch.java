package io.mlh.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The heap a JVM retains, watched while something runs. Every second a full collection, then the
 * heap in use: the live set, whose largest value is the peak live heap. And after every collection
 * (those and the JVM's own), the heap still in use, which also counts old-generation garbage a young
 * collection left behind; its largest value is the peak after GC.
 */
final class HeapWatch implements AutoCloseable {
    private final AtomicLong peakAfterGc = new AtomicLong(), peakLive = new AtomicLong();
    private final NotificationListener listener = this::onGc;
    private final Thread sampler;
    private volatile boolean running = true;

    HeapWatch() {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
        }
        sampler = new Thread(
                () -> {
                    while (running) {
                        peakLive.accumulateAndGet(liveNow(), Math::max);
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "heap-live-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Heap in use right after a full collection, now (System.gc() is a full collection under G1's defaults). */
    static long liveNow() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    long peakAfterGc() {
        return peakAfterGc.get();
    }

    long peakLive() {
        return peakLive.get();
    }

    private void onGc(Notification n, Object handback) {
        if (!"com.sun.management.gc.notification".equals(n.getType())) return;
        // the notification's gcInfo.memoryUsageAfterGc: pool name -> usage, as open data (no com.sun classes needed)
        CompositeData info = (CompositeData) ((CompositeData) n.getUserData()).get("gcInfo");
        long used = 0;
        for (Object row : ((javax.management.openmbean.TabularData) info.get("memoryUsageAfterGc")).values()) {
            CompositeData entry = (CompositeData) row;
            String pool = (String) entry.get("key");
            if (isHeap(pool))
                used += MemoryUsage.from((CompositeData) entry.get("value")).getUsed();
        }
        peakAfterGc.accumulateAndGet(used, Math::max);
    }

    private static boolean isHeap(String pool) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(pool)) return p.getType() == MemoryType.HEAP;
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        running = false;
        sampler.interrupt();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).removeNotificationListener(listener);
        }
    }

    static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.0f", bytes / 1048576.0);
    }
}
