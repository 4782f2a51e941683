package io.mlh.jobs.source;

import io.mlh.jobs.tables.Split;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;

/**
 * List files of the deep-hashing protocol (ImageNet100, COCO): {@code <list-dir>/{test,database,train}.txt},
 * each line {@code relative/path.jpg 0 1 0 ...} with {@code mlh.classes} 0/1 entries, paths relative
 * to {@code data.root}. test.txt rows are queries, database.txt rows the database; a train.txt row
 * flags the database row of the same image, or becomes a split = train row of its own.
 */
final class ListCatalogue {
    private static final Logger LOG = Logger.getLogger(ListCatalogue.class);

    private ListCatalogue() {}

    static List<Record> read(SourceSettings s, Configuration conf, BadRecords bad) throws IOException {
        FileSystem fs = new Path(s.listDir).getFileSystem(conf);
        Path dir = fs.makeQualified(new Path(s.listDir));
        Path root =
                new Path(s.root).getFileSystem(conf).makeQualified(new Path(s.root)); // sources name the file system
        int classes = s.classes;
        List<Record> test = parse(fs, new Path(dir, "test.txt"), root, classes, bad);
        List<Record> database = parse(fs, new Path(dir, "database.txt"), root, classes, bad);
        List<Record> train = parse(fs, new Path(dir, "train.txt"), root, classes, bad);

        Map<String, Integer> databaseRow = new HashMap<>();
        for (int i = database.size() - 1; i >= 0; i--)
            databaseRow.put(database.get(i).path, i); // the first of duplicates wins
        boolean[] flagged = new boolean[database.size()];
        List<Record> trainOnly = new ArrayList<>();
        for (Record t : train) {
            Integer d = databaseRow.get(t.path);
            if (d == null) {
                trainOnly.add(t);
            } else if (Arrays.equals(t.labels, database.get(d).labels)) {
                flagged[d] = true;
            } else {
                bad.reject(
                        t.origin(),
                        "its labels differ from those of the same image at "
                                + database.get(d).origin());
            }
        }
        warnAboutQueriesInTraining(test, trainOnly);

        List<Record> records = new ArrayList<>(test.size() + database.size() + trainOnly.size());
        for (Record r : test) records.add(r.placed(records.size(), Split.QUERY.value(), false));
        for (int i = 0; i < database.size(); i++)
            records.add(database.get(i).placed(records.size(), Split.DATABASE.value(), flagged[i]));
        for (Record r : trainOnly) records.add(r.placed(records.size(), Split.TRAIN.value(), true));
        return records;
    }

    /** The valid lines of one list file, in order, as records not yet placed. */
    private static List<Record> parse(FileSystem fs, Path file, Path root, int classes, BadRecords bad)
            throws IOException {
        List<Record> out = new ArrayList<>();
        String name = file.toString();
        // one array for each distinct label vector: ImageNet100's 1.3 M lines have 100
        Map<List<Integer>, int[]> distinct = new HashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            String line;
            for (int number = 1; (line = in.readLine()) != null; number++) {
                String[] tokens = line.trim().split("\\s+");
                if (tokens[0].isEmpty()) continue; // blank line
                String problem = pathProblem(tokens[0]);
                int[] labels = new int[classes];
                if (problem == null) problem = labelProblem(tokens, labels);
                if (problem != null) {
                    bad.reject(name + ":" + number, problem);
                } else {
                    int[] shared = distinct.computeIfAbsent(positives(labels), k -> labels);
                    out.add(Record.listed(new Path(root, tokens[0]).toString(), shared, name, number));
                }
            }
        } catch (FileNotFoundException e) {
            throw new IOException(
                    "list file " + file + " does not exist (data.list-dir needs test.txt, database.txt and train.txt)",
                    e);
        }
        return out;
    }

    /** The classes a label vector marks, as a key for sharing equal vectors. */
    private static List<Integer> positives(int[] labels) {
        List<Integer> on = new ArrayList<>();
        for (int c = 0; c < labels.length; c++) if (labels[c] == 1) on.add(c);
        return on;
    }

    /** Null for a path inside the image root, else why not. */
    static String pathProblem(String p) {
        if (p.startsWith("/") || p.startsWith("\\") || p.contains(":")) {
            return "path '" + p + "' is absolute or names a file system: list paths are relative to data.root";
        }
        for (String segment : p.split("[/\\\\]")) {
            if (segment.equals("..")) return "path '" + p + "' escapes the image root (..)";
        }
        return null;
    }

    /** Fills {@code labels} from the tokens after the path; null when they are a valid label vector. */
    static String labelProblem(String[] tokens, int[] labels) {
        if (tokens.length - 1 != labels.length) {
            return "label vector has " + (tokens.length - 1) + " entries, mlh.classes = " + labels.length;
        }
        boolean any = false;
        for (int c = 0; c < labels.length; c++) {
            String t = tokens[c + 1];
            if (!t.equals("0") && !t.equals("1")) return "label value '" + t + "' (class " + c + ") is not 0 or 1";
            labels[c] = t.charAt(0) - '0';
            any |= labels[c] == 1;
        }
        return any ? null : "empty label: every entry is 0";
    }

    /** A train.txt image that is also a query is allowed by the format but leaks queries into training. */
    private static void warnAboutQueriesInTraining(List<Record> test, List<Record> trainOnly) {
        java.util.Set<String> queries = new java.util.HashSet<>();
        for (Record r : test) queries.add(r.path);
        long leaks = trainOnly.stream().filter(r -> queries.contains(r.path)).count();
        if (leaks > 0)
            LOG.warn(leaks + " train.txt images are also in test.txt: they train the model and are queries too");
    }
}
