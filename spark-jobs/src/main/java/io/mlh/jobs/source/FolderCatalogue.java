package io.mlh.jobs.source;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Image folders {@code <root>/<folder-split>/<class>/<file>.{jpg,jpeg,png}} (CIFAR-10's JPEG tree,
 * ImageNet's train/): classes are the sorted sub-directory names; records come class by class, files
 * sorted by name. Names starting with '.' or '_' are hidden (file-system bookkeeping) and skipped.
 * Several splits ({@code folder-split = "train,test"}: all 60,000 CIFAR-10 images, as protocol
 * cifar10-1 draws from) are pooled; {@code query-folder} (cifar10-2's test/) is read apart. Every
 * folder must hold the same class directories.
 */
final class FolderCatalogue {
    private FolderCatalogue() {}

    /**
     * The records in id order, split: by the retrieval protocol over the pooled {@code folder-split} images,
     * or with {@code query-folder} set, its images as the queries and the pooled ones as the database.
     */
    static List<Record> read(SourceSettings s, Configuration conf, BadRecords bad) throws IOException {
        List<String> folders = new ArrayList<>(s.folderSplits);
        if (!s.queryFolder.isEmpty()) folders.add(s.queryFolder);
        List<List<FileStatus>> classes = classDirectories(s, conf, folders);
        int pooled = s.folderSplits.size();
        List<Record> images = records(classes.subList(0, pooled), conf, bad);
        if (s.queryFolder.isEmpty()) return Catalogue.protocolSplit(images, s);
        return Catalogue.givenQueries(records(classes.subList(pooled, folders.size()), conf, bad), images, s);
    }

    /** Each folder's class directories, checked: mlh.classes of them, named as the first folder's. */
    private static List<List<FileStatus>> classDirectories(SourceSettings s, Configuration conf, List<String> folders)
            throws IOException {
        int expected = s.classes;
        List<List<FileStatus>> classesBySplit = new ArrayList<>();
        List<String> classNames = null;
        for (String split : folders) {
            Path dir = new Path(s.root, split);
            List<FileStatus> classes = new ArrayList<>();
            for (FileStatus f : list(dir.getFileSystem(conf), dir)) if (f.isDirectory()) classes.add(f);
            List<String> names =
                    classes.stream().map(f -> f.getPath().getName()).collect(Collectors.toList());
            if (classes.size() != expected) {
                throw new IOException("image folder " + dir + " has " + classes.size() + " class directories ("
                        + names.stream().limit(12).collect(Collectors.joining(", "))
                        + (classes.size() > 12 ? ", ..." : "") + ") but mlh.classes = " + expected);
            }
            if (classNames != null && !classNames.equals(names)) {
                throw new IOException("image folder " + dir + " has class directories " + names + " but "
                        + new Path(s.root, folders.get(0)) + " has " + classNames);
            }
            classNames = names;
            classesBySplit.add(classes);
        }
        return classesBySplit;
    }

    /** The images of the given folders' class directories, pooled class by class. */
    private static List<Record> records(List<List<FileStatus>> classesBySplit, Configuration conf, BadRecords bad)
            throws IOException {
        int classCount = classesBySplit.get(0).size();
        int[][] oneHot = Catalogue.oneHot(classCount);
        List<Record> records = new ArrayList<>();
        for (int c = 0; c < classCount; c++) {
            for (List<FileStatus> classes : classesBySplit) {
                Path classDir = classes.get(c).getPath();
                for (FileStatus f : list(classDir.getFileSystem(conf), classDir)) {
                    String path = f.getPath().toString();
                    if (f.isFile() && isImageName(f.getPath().getName())) {
                        records.add(Record.of(path, -1, oneHot[c]));
                    } else {
                        bad.reject(path, "not a .jpg, .jpeg or .png file");
                    }
                }
            }
        }
        return records;
    }

    static boolean isImageName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    /** Visible entries sorted by name. */
    private static List<FileStatus> list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] all;
        try {
            all = fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            throw new IOException(
                    "image folder " + dir + " does not exist (data.root, data.folder-split, data.query-folder)", e);
        }
        return Arrays.stream(all)
                .filter(f -> !f.getPath().getName().startsWith(".")
                        && !f.getPath().getName().startsWith("_"))
                .sorted(Comparator.comparing(f -> f.getPath().getName()))
                .collect(Collectors.toList());
    }
}
