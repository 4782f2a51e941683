package io.mlh.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The line a benchmark run's result file starts with: the machine (CPU model, cores, the SIMD flags
 * the kernels care about), the JDK, the date and the commit measured, so the figures carry where and
 * what they come from. {@code main} prints it as {@code # run: ...}; {@link SpeedTable} copies it
 * into the results page.
 */
public final class RunHeader {
    static final String PREFIX = "# run: ";
    private static final String[] FLAGS = {"avx2", "avx512f", "avx512bw", "avx512_vpopcntdq", "avx512_vnni"};

    private RunHeader() {}

    public static void main(String[] args) throws IOException {
        System.out.println(PREFIX + describe());
    }

    static String describe() throws IOException {
        String model = "unknown CPU";
        List<String> flags = new ArrayList<>();
        if (Files.exists(Paths.get("/proc/cpuinfo"))) {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name") && model.equals("unknown CPU"))
                    model = line.substring(line.indexOf(':') + 1).trim();
                if (line.startsWith("flags") && flags.isEmpty()) {
                    List<String> have = java.util.Arrays.asList(
                            line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    for (String f : FLAGS) if (have.contains(f)) flags.add(f);
                }
            }
        }
        return String.format(
                "%s, %d cores (%s), JDK %s, %s, commit %s",
                model,
                Runtime.getRuntime().availableProcessors(),
                flags.isEmpty() ? "no AVX2" : String.join(" ", flags),
                System.getProperty("java.version"),
                Instant.now().truncatedTo(ChronoUnit.SECONDS),
                commit());
    }

    /**
     * The short hash of HEAD, with "+changes" when the work tree's tracked files differ from it outside
     * the docs (the benchmarks write their results pages there during a run).
     */
    private static String commit() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head == null) return "unknown";
        String status =
                git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs", ":(exclude)*.md");
        return status == null || status.isEmpty() ? head : head + "+changes";
    }

    private static String git(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(java.util.Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            StringBuilder out = new StringBuilder();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; )
                    out.append(line).append('\n');
            }
            return p.waitFor() == 0 ? out.toString().trim() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
