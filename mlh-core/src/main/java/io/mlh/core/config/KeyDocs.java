package io.mlh.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code reference.conf} says of each key: its default and the comment beside it (continued on
 * the comment lines below), in file order. The reference files are written one key a line,
 * {@code key = value  # meaning}, sections as {@code name {} ... {@code }}; this reads that layout
 * (Typesafe Config keeps only comments above a value) and takes the defaults from the parsed files.
 */
public final class KeyDocs {
    private static final Pattern SECTION = Pattern.compile("^\\s*([\\w.-]+)\\s*\\{\\s*(#.*)?$");
    private static final Pattern KEY = Pattern.compile("^\\s*([\\w.-]+)\\s*[=:]\\s*[^#]*?(?:#\\s?(.*))?$");
    private static final Pattern CONTINUED = Pattern.compile("^\\s+#\\s*(.*)$");

    private final Map<String, String> meanings = new LinkedHashMap<>();
    private final Config defaults = ConfigFactory.defaultReference();

    private KeyDocs() {}

    private static final class Holder {
        static final KeyDocs INSTANCE = read();
    }

    /** The reference files on this class path (mlh-core's, and the jobs' where they are present). */
    public static KeyDocs reference() {
        return Holder.INSTANCE;
    }

    private static KeyDocs read() {
        KeyDocs docs = new KeyDocs();
        try {
            Enumeration<URL> files = KeyDocs.class.getClassLoader().getResources("reference.conf");
            while (files.hasMoreElements()) docs.parse(files.nextElement());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read reference.conf", e);
        }
        return docs;
    }

    private void parse(URL file) throws IOException {
        Deque<String> sections = new ArrayDeque<>();
        String last = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(file.openStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m;
                if ((m = SECTION.matcher(line)).matches()) {
                    sections.push(m.group(1));
                    last = null;
                } else if (line.trim().startsWith("}")) {
                    sections.poll();
                    last = null;
                } else if (last != null && (m = CONTINUED.matcher(line)).matches()) {
                    meanings.put(last, meanings.get(last) + " " + m.group(1).trim());
                } else if ((m = KEY.matcher(line)).matches() && !line.trim().startsWith("#")) {
                    StringBuilder path = new StringBuilder();
                    sections.descendingIterator()
                            .forEachRemaining(s -> path.append(s).append('.'));
                    last = path.append(m.group(1)).toString();
                    meanings.put(last, m.group(2) == null ? "" : m.group(2).trim());
                } else {
                    last = null;
                }
            }
        }
    }

    /** The comment beside {@code key} (a full name, "mlh.bits"); "" when it has none; null when the files do not hold it. */
    public String meaning(Key<?> key) {
        return meanings.get(key.fullName());
    }

    /** The default as HOCON ("64", "\"out/codes\"", "[0.485, 0.456, 0.406]"); null when the files hold none. */
    public String defaultValue(Key<?> key) {
        return defaults.hasPathOrNull(key.fullName())
                ? defaults.getValue(key.fullName()).render(ConfigRenderOptions.concise())
                : null;
    }

    /** The full names the files describe, in file order. */
    public Collection<String> keys() {
        return meanings.keySet();
    }

    /** {@code keys} with their defaults and meanings, a key a paragraph, for a command's --help. */
    public String describe(Collection<Key<?>> keys) {
        StringBuilder out = new StringBuilder();
        for (Key<?> k : keys) {
            out.append("  ")
                    .append(k.name())
                    .append(" = ")
                    .append(defaultValue(k))
                    .append('\n');
            String meaning = meaning(k);
            if (meaning != null && !meaning.isEmpty()) wrap(out, meaning, "      ", 100);
        }
        return out.toString();
    }

    private static void wrap(StringBuilder out, String text, String indent, int width) {
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split("\\s+")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > width) {
                out.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            if (line.length() > indent.length()) line.append(' ');
            line.append(word);
        }
        if (line.length() > indent.length()) out.append(line).append('\n');
    }
}
