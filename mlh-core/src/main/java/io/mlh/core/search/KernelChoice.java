package io.mlh.core.search;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * {@link HammingRanker.Kernel#AUTO}'s choice. SIMD pays only where HotSpot's C2 vectorises
 * {@code Integer.bitCount}, which takes AVX-512 VPOPCNTDQ in the CPU and AVX-512 enabled in the JVM
 * ({@code -XX:UseAVX=3}, the default on such CPUs); elsewhere its loops run scalar at about 0.4x SCALAR.
 * Where it pays, it was measured (RankSpeedBench, Xeon with VPOPCNTDQ, JDK 17) at 1.1..1.4x SCALAR for
 * 16..64 bits and 1.9x for 128..256 bits on 1e6+ codes, but 0.7x on 1e5 codes, where its per-search
 * transposed copy and chunk overheads weigh more. Hence: SIMD for databases of at least 2^18 codes and 16
 * queries on a JVM and CPU with vector popcount, SCALAR otherwise. Results never depend on the choice. The
 * system property {@code mlh.ranker.kernel} (scalar, simd) overrides it.
 *
 * <p>A rule rather than a timing at start-up: a timing small enough to be cheap did not predict large
 * searches (it picked SCALAR where SIMD was 1.9x faster), and a rule gives the same choice every run.
 */
final class KernelChoice {
    static final int MIN_DATABASE = 1 << 18, MIN_QUERIES = 16;
    private static final boolean VECTOR_POPCOUNT = vectorPopcount();

    private KernelChoice() {}

    static HammingRanker.Kernel choose(int queries, int databaseSize) {
        String forced = System.getProperty("mlh.ranker.kernel", "auto").trim();
        if (!forced.equalsIgnoreCase("auto")) return HammingRanker.Kernel.valueOf(forced.toUpperCase(Locale.ROOT));
        return VECTOR_POPCOUNT && queries >= MIN_QUERIES && databaseSize >= MIN_DATABASE
                ? HammingRanker.Kernel.SIMD
                : HammingRanker.Kernel.SCALAR;
    }

    /** AVX-512 VPOPCNTDQ in /proc/cpuinfo and a HotSpot JVM (11+) with UseAVX >= 3; false when unsure. */
    private static boolean vectorPopcount() {
        try {
            String spec = System.getProperty("java.specification.version", "1.8");
            if (spec.startsWith("1.")) return false; // Java 8's C2 has no vector popcount
            String flags = new String(Files.readAllBytes(Paths.get("/proc/cpuinfo")), StandardCharsets.US_ASCII);
            if (!flags.contains("avx512_vpopcntdq")) return false;
            com.sun.management.HotSpotDiagnosticMXBean hotspot =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return hotspot != null
                    && Integer.parseInt(hotspot.getVMOption("UseAVX").getValue()) >= 3;
        } catch (IOException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
