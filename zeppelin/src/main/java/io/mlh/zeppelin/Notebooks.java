package io.mlh.zeppelin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code make notebooks}: a Zeppelin server ({@link ZeppelinProcess}) with the project's notes
 * imported, their note forms set to a user's own tables, until Ctrl-C stops it and its interpreters.
 *
 * <p>Arguments: the ZEPPELIN_HOME, the notes' folder, the run's directory, the port, then the forms as
 * {@code name=value} (a relative value is taken from the current directory).
 */
public final class Notebooks {
    /** A note form with its default, {@code $${name=default}}, as the notes' paragraph texts hold it. */
    private static final Pattern NOTE_FORM = Pattern.compile("\\$\\$\\{([A-Za-z_]\\w*)=([^}]*)}");

    private Notebooks() {}

    public static void main(String[] args) throws Exception {
        Path home = Paths.get(args[0]),
                notes = Paths.get(args[1]),
                dir = Paths.get(args[2]).toAbsolutePath();
        int port = Integer.parseInt(args[3]);
        Map<String, String> forms = new LinkedHashMap<>();
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("a form is name=value, got " + args[i]);
            String value = args[i].substring(eq + 1);
            forms.put(
                    args[i].substring(0, eq),
                    value.contains(":")
                            ? value
                            : Paths.get(value).toAbsolutePath().toString());
        }
        ZeppelinProcess z = ZeppelinProcess.start(home.toAbsolutePath(), dir, port, 180);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                z.close();
            } catch (Exception e) {
                System.err.println("stopping Zeppelin: " + e);
            }
            stopped.countDown();
        }));
        Map<String, String> imported = new LinkedHashMap<>();
        for (Path note : notes(notes)) {
            String json = new String(Files.readAllBytes(note), StandardCharsets.UTF_8);
            imported.put(
                    z.importNote(withForms(json, forms)), note.getFileName().toString());
        }
        String root = z.api();
        System.out.println();
        System.out.println("Zeppelin at " + root + " (the REST API: no web UI is published to Maven Central)");
        System.out.println("notes, with their forms " + forms + ":");
        for (Map.Entry<String, String> e : imported.entrySet())
            System.out.println("  " + e.getKey() + "  " + e.getValue());
        String first = imported.keySet().iterator().next();
        System.out.println(
                "run every paragraph of a note:  curl -X POST '" + root + "notebook/job/" + first + "?blocking=true'");
        System.out.println("read its results:               curl " + root + "notebook/" + first);
        System.out.println("Ctrl-C stops the server and its interpreters (logs: " + dir.resolve("run") + ")");
        stopped.await();
    }

    /** The {@code .zpln} notes of a folder, by name. */
    public static List<Path> notes(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            List<Path> notes =
                    s.filter(p -> p.toString().endsWith(".zpln")).sorted().collect(Collectors.toList());
            if (notes.isEmpty()) throw new IOException("no .zpln notes in " + folder.toAbsolutePath());
            return new ArrayList<>(notes);
        }
    }

    /**
     * A note's JSON with the defaults of its note forms replaced by {@code forms}' values (the others
     * kept). An imported note loses its saved form values, so the defaults are what its paragraphs run
     * with.
     */
    public static String withForms(String noteJson, Map<String, String> forms) {
        Matcher m = NOTE_FORM.matcher(noteJson);
        StringBuffer out = new StringBuffer();
        while (m.find()) {
            String value = forms.containsKey(m.group(1)) ? jsonEscaped(forms.get(m.group(1))) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement("$${" + m.group(1) + "=" + value + "}"));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String jsonEscaped(String s) {
        if (s.contains("}")) throw new IllegalArgumentException("a form value cannot hold '}': " + s);
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
