package io.mlh.jobs.source;

import io.mlh.core.data.RetrievalSplit;
import io.mlh.jobs.tables.Split;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The driver's view of a data set: every record's path, labels, id and split, built from listings,
 * labels and list files without reading a single image (executors do that).
 */
final class Catalogue {
    private Catalogue() {}

    /** The records in id order; bad ones go to {@code bad} (which throws under the fail policy). */
    static List<Record> build(SourceSettings s, Configuration conf, BadRecords bad) throws IOException {
        switch (s.source) {
            case IDX:
                return protocolSplit(IdxCatalogue.read(s, conf, bad), s);
            case FOLDER:
                return FolderCatalogue.read(s, conf, bad);
            case LIST:
                return ListCatalogue.read(s, conf, bad);
            default:
                throw new IllegalArgumentException("unknown source " + s.source);
        }
    }

    /** Numbers single-label records in order and splits them with the retrieval protocol (RetrievalSplit). */
    static List<Record> protocolSplit(List<Record> records, SourceSettings s) {
        return split(new ArrayList<>(records.size()), records, s.queriesPerClass, s);
    }

    /**
     * The given queries first, then the database (protocol cifar10-2: every test image a query, the
     * training images the database), with {@code train-per-class} training images a class from it.
     */
    static List<Record> givenQueries(List<Record> queries, List<Record> database, SourceSettings s) {
        List<Record> placed = new ArrayList<>(queries.size() + database.size());
        for (Record q : queries) placed.add(q.placed(placed.size(), Split.QUERY.value(), false));
        return split(placed, database, 0, s);
    }

    /** Appends {@code records}, numbered on from {@code placed}'s size and split by RetrievalSplit, to {@code placed}. */
    private static List<Record> split(
            List<Record> placed, List<Record> records, int queriesPerClass, SourceSettings s) {
        int classes = s.classes;
        float[][] oneHot = new float[classes][classes];
        for (int c = 0; c < classes; c++) oneHot[c][c] = 1;
        float[][] y = new float[records.size()][];
        for (int i = 0; i < y.length; i++)
            y[i] = oneHot[firstPositive(records.get(i).labels)]; // shared rows: ImageNet-sized sets fit
        RetrievalSplit split = RetrievalSplit.of(y, queriesPerClass, s.trainPerClass, s.seed);
        String[] splits = new String[y.length];
        Arrays.fill(splits, Split.DATABASE.value());
        for (int i : split.query) splits[i] = Split.QUERY.value();
        boolean[] train = new boolean[y.length];
        for (int i : split.train) train[i] = true;
        int first = placed.size();
        for (int i = 0; i < y.length; i++) placed.add(records.get(i).placed(first + i, splits[i], train[i]));
        return placed;
    }

    /** Records whose image sizes estimate the mean for {@link #shardCount}. */
    static final int SIZE_SAMPLE = 100;

    /**
     * How many shards the records are written as: {@code data.shards}, or with {@code data.shard-size} set,
     * enough files for each to hold about that many bytes of images: records x their mean image size,
     * estimated from {@link #SIZE_SAMPLE} records spread over the catalogue (file lengths; an IDX
     * record's raw pixels). Records whose file is missing are left out of the estimate (reading rejects them).
     */
    static int shardCount(List<Record> records, SourceSettings s, Configuration conf) throws IOException {
        if (s.shardBytes == 0 || records.isEmpty()) return s.shards;
        int step = Math.max(1, records.size() / SIZE_SAMPLE);
        long bytes = 0;
        int sampled = 0;
        java.util.Map<String, Long> idxBytes = new java.util.HashMap<>();
        for (int i = 0; i < records.size(); i += step) {
            Record r = records.get(i);
            Path p = new Path(r.path);
            FileSystem fs = p.getFileSystem(conf);
            if (r.index >= 0) {
                Long b = idxBytes.get(r.path);
                if (b == null) idxBytes.put(r.path, b = IdxCatalogue.imageBytes(fs, p));
                bytes += b;
            } else {
                try {
                    bytes += fs.getFileStatus(p).getLen();
                } catch (java.io.FileNotFoundException missing) {
                    continue;
                }
            }
            sampled++;
        }
        if (sampled == 0) return s.shards;
        double total = (double) bytes / sampled * records.size();
        return (int) Math.max(1, Math.min(records.size(), Math.ceil(total / s.shardBytes)));
    }

    /**
     * Deals records round-robin over a seeded permutation into {@code shards} lists (sizes differ by at
     * most one), each sorted by id: the same records and seed give the same shards.
     */
    static List<ArrayList<Record>> deal(List<Record> records, int shards, long seed) {
        int n = records.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<ArrayList<Record>> out = new ArrayList<>();
        for (int k = 0; k < shards; k++) out.add(new ArrayList<>(n / shards + 1));
        for (int p = 0; p < n; p++) out.get(p % shards).add(records.get(order[p]));
        for (ArrayList<Record> shard : out) shard.sort(Comparator.comparingLong(rec -> rec.id));
        return out;
    }

    static int[][] oneHot(int classes) {
        int[][] y = new int[classes][classes];
        for (int c = 0; c < classes; c++) y[c][c] = 1;
        return y;
    }

    private static int firstPositive(int[] y) {
        for (int c = 0; c < y.length; c++) if (y[c] > 0) return c;
        throw new IllegalStateException("a single-label record without a label"); // the readers never build one
    }
}
