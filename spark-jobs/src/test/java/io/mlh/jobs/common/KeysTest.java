package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mlh.core.config.Key;
import io.mlh.core.config.KeyDocs;
import io.mlh.core.config.MlhConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One declaration per key: every key reference.conf lists is declared once in the sources (a
 * {@code Key.<type>("name", ...)}), nothing else is declared, and each has a meaning beside it.
 */
class KeysTest {
    private static final Pattern DECLARATION = Pattern.compile("\\bKey\\.\\w+\\(\\s*\"([\\w.-]+)\"");
    private static final List<Path> SOURCES =
            Arrays.asList(Paths.get("src/main/java"), Paths.get("../mlh-core/src/main/java"));

    @Test
    void everyReferenceKeyIsDeclaredOnceAndOnlyThose() throws IOException {
        Map<String, List<String>> declared = new TreeMap<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList())) {
                    String code =
                            new String(Files.readAllBytes(f), StandardCharsets.UTF_8).replaceAll("(?s)/\\*.*?\\*/", "");
                    Matcher m = DECLARATION.matcher(code);
                    while (m.find())
                        declared.computeIfAbsent("mlh." + m.group(1), k -> new ArrayList<>())
                                .add(f.getFileName().toString());
                }
            }
        }
        assertTrue(declared.size() > 90, "the scan found the declarations: " + declared.size());
        Map<String, List<String>> twice = new TreeMap<>(declared);
        twice.values().removeIf(where -> where.size() == 1);
        assertEquals(new TreeMap<>(), twice, "keys declared more than once");
        TreeSet<String> reference = new TreeSet<>(KeyDocs.reference().keys());
        assertEquals(reference, new TreeSet<>(declared.keySet()), "reference.conf's keys and the declared ones");
    }

    @Test
    void everyKeyHasADefaultAndAMeaning() {
        KeyDocs docs = KeyDocs.reference();
        for (Key<?> k : MlhConfig.KEYS) {
            assertFalse(docs.meaning(k).isEmpty(), k + " has no comment in reference.conf");
            assertTrue(docs.defaultValue(k) != null, k + " has no default");
        }
        for (String full : docs.keys())
            assertFalse(docs.meaning(Key.string(full.substring(4))).isEmpty(), full);
    }

    @Test
    void theMeaningIsTheCommentBesideTheKeyWithItsContinuationLines() {
        KeyDocs docs = KeyDocs.reference();
        assertEquals("code length q: a multiple of 8 in 8..1024", docs.meaning(MlhConfig.BITS));
        assertEquals("64", docs.defaultValue(MlhConfig.BITS));
        String folderSplit = docs.meaning(Key.string("data.folder-split"));
        assertTrue(
                folderSplit.startsWith("folder source: sub-directory of root")
                        && folderSplit.endsWith("are pooled before the split protocol"),
                folderSplit);
        assertEquals("\"out/codes\"", docs.defaultValue(JobSettings.CODES));
    }
}
