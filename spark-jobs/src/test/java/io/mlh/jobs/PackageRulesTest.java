package io.mlh.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The jobs' packages are leaves: each uses the shared packages, {@code common} and mlh-core, never
 * another job's package, and no shared package uses a job's. Read from the sources' references to
 * {@code io.mlh.jobs.<package>}, imports and qualified names alike.
 */
class PackageRulesTest {
    static final Set<String> JOBS = set("shard", "train", "calibrate", "encode", "evaluate", "search", "serve");
    /** From the bottom up: each may use the ones before it. */
    static final List<String> SHARED =
            Arrays.asList("common", "tables", "images", "source", "inference", "index", "gallery");

    static final Path SOURCES = Paths.get("src/main/java/io/mlh/jobs");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.mlh\\.jobs\\.([a-z]+)\\.");

    @Test
    void everyPackageIsAJobOrShared() throws IOException {
        Set<String> found = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            dirs.filter(Files::isDirectory)
                    .forEach(d -> found.add(d.getFileName().toString()));
        }
        Set<String> known = new TreeSet<>(JOBS);
        known.addAll(SHARED);
        assertEquals(known, found, "a new package is declared here as a job's or a shared one");
    }

    @Test
    void jobsUseNoOtherJobAndSharedPackagesUseNoJob() throws IOException {
        List<String> broken = new ArrayList<>();
        int references = 0;
        for (Path file : sources()) {
            String from = SOURCES.relativize(file).getName(0).toString();
            for (String to : references(file)) {
                references++;
                if (!allowed(from, to)) broken.add(SOURCES.relativize(file) + " uses io.mlh.jobs." + to);
            }
        }
        assertTrue(references > 50, "the scan found the references (" + references + ")");
        assertEquals(new ArrayList<>(), broken, "job packages are leaves; shared packages are layered " + SHARED);
    }

    @Test
    void theRuleRefusesAJobUsingAnotherJob() {
        assertFalse(allowed("search", "evaluate"));
        assertFalse(allowed("tables", "encode"));
        assertFalse(allowed("tables", "gallery"));
        assertTrue(allowed("search", "gallery"));
        assertTrue(allowed("gallery", "index"));
    }

    static boolean allowed(String from, String to) {
        if (from.equals(to)) return true;
        if (JOBS.contains(to)) return false;
        if (JOBS.contains(from)) return SHARED.contains(to);
        return SHARED.indexOf(to) >= 0 && SHARED.indexOf(to) < SHARED.indexOf(from);
    }

    /** The packages a source file names, outside its package line and its comments. */
    static Set<String> references(Path file) throws IOException {
        String code = new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
                .replaceAll("(?s)/\\*.*?\\*/", "")
                .replaceAll("//[^\n]*", "")
                .replaceFirst("package [\\w.]+;", "");
        Set<String> to = new TreeSet<>();
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) to.add(m.group(1));
        return to;
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> SOURCES.relativize(f).getNameCount() > 1)
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    private static Set<String> set(String... names) {
        return new TreeSet<>(Arrays.asList(names));
    }
}
