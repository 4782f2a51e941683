package io.mlh.jobs.index;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.RankedLists;
import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.tables.CodeSplit;
import io.mlh.jobs.tables.NeighbourTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Exact Hamming top-k of many queries over a database that stays partitioned on the executors: each
 * partition of the database rows is indexed once, sorted by id ({@link IndexPartition}, kept between
 * query blocks); the queries go out in broadcast blocks; each partition returns every
 * query's top k with {@link HammingRanker} (ties by position, which is id order there), and the lists
 * of all partitions are merged by (distance, id) ({@link Neighbours#merge}), which is exact. Neither the
 * database nor the merged lists pass through the driver: the neighbours of a block are written by the
 * tasks that merge them.
 */
public final class DistributedSearch implements AutoCloseable {
    /** Neighbour rows a file of the output holds, about. */
    private static final long ROWS_PER_FILE = 1_000_000;
    /** Enough ranking tasks that the last wave keeps every core busy, few enough that each stays large. */
    private static final int PARTITIONS_PER_CORE = 4;

    private final SparkSession spark;
    private final JavaRDD<IndexPartition> index;
    private final int bits, labelWidth, k, maxDistance;
    /** The second stage; with it each partition ranks its top max(k, R) (depth), not k. */
    private final Refinement refine;

    private final int depth;
    private final long databaseSize;

    /**
     * Indexes {@code database} (opened with {@link CodeSplit#openForOnePass}, its rows checked here) in
     * about {@link #PARTITIONS_PER_CORE} partitions a core, read from the table's files as they lie,
     * or with {@code partitions > 0} in that many. The merge is exact for any partitioning, so the
     * rows need no shuffle; only their ids, to find any that appears twice. With {@code refine}
     * re-ranking, {@code database} must carry its int8 codes ({@link CodeSplit#withInt8}), and so must
     * the queries.
     */
    public DistributedSearch(
            SparkSession spark, CodeSplit database, int partitions, int k, int maxDistance, Refinement refine)
            throws IOException {
        if (refine.reranks() && !database.int8)
            throw new IllegalArgumentException(database.name + " was opened without its int8 codes: " + refine);
        this.spark = spark;
        this.bits = database.bits;
        this.labelWidth = database.labelWidth;
        this.k = k;
        this.maxDistance = maxDistance;
        this.refine = refine;
        this.depth = Math.max(k, refine.candidates);
        int even = PARTITIONS_PER_CORE * spark.sparkContext().defaultParallelism();
        JavaRDD<InternalRow> rows = partitions > 0
                ? internalRows(database.rows.repartition(partitions))
                : inEvenSplits(spark, database.rows, even);
        this.index = rows.mapPartitions(new IndexPartition.Build(database)).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            requireUniqueIds(database.name);
            this.databaseSize = index.map(p -> (long) p.size()).fold(0L, Long::sum);
            if (databaseSize == 0) throw database.noRows();
        } catch (Exception e) { // a failed Spark job's SparkException is checked, and thrown undeclared
            index.unpersist(false);
            IllegalArgumentException bad = Spark.badInput(e); // a row the index refused
            if (bad != null) throw bad;
            throw e;
        }
    }

    /**
     * The rows of a file scan in about {@code partitions} splits of equal bytes. Spark's default packs
     * files into splits of up to 128 MB, which on a few cores leaves the last wave of ranking tasks
     * half idle; a split is planned when the RDD is made, so the setting is changed only for that.
     */
    private static JavaRDD<InternalRow> inEvenSplits(SparkSession spark, Dataset<Row> scan, int partitions)
            throws IOException {
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        long open = spark.sessionState().conf().filesOpenCostInBytes(), bytes = 0;
        for (String file : scan.inputFiles()) {
            Path path = new Path(file);
            bytes += path.getFileSystem(hadoop).getFileStatus(path).getLen() + open;
        }
        String key = "spark.sql.files.maxPartitionBytes", before = spark.conf().get(key);
        spark.conf().set(key, Long.toString(Math.max(1, (bytes + partitions - 1) / partitions)));
        try {
            JavaRDD<InternalRow> rows = internalRows(scan);
            rows.partitions(); // planned now, under the setting
            return rows;
        } finally {
            spark.conf().set(key, before);
        }
    }

    /** The rows as the plan makes them, not converted to {@code Row}s. */
    private static JavaRDD<InternalRow> internalRows(Dataset<Row> rows) {
        return rows.queryExecution().toRdd().toJavaRDD();
    }

    /**
     * Refuses an id found in two partitions (the index refuses one twice in a partition): each
     * partition's ids go, as sorted arrays, to buckets by a hash of the id, and each bucket looks for
     * equal neighbours in their merge. Only the ids move, as arrays of longs.
     */
    private void requireUniqueIds(String table) {
        int buckets = Math.max(1, index.getNumPartitions());
        List<Long> twice = index.flatMapToPair(p -> IdBuckets.split(p.ids, buckets))
                .partitionBy(new HashPartitioner(buckets))
                .mapPartitions(IdBuckets::firstDuplicate)
                .collect(); // one id a bucket at most
        if (!twice.isEmpty())
            throw new IllegalArgumentException(
                    table + " has duplicate ids: " + twice.get(0) + " appears more than once");
    }

    /** A partition's ids split by bucket, and the bucket's check. */
    private static final class IdBuckets {
        private IdBuckets() {}

        static int bucket(long id, int buckets) {
            return Math.floorMod(Long.hashCode(id * 0x9E3779B97F4A7C15L), buckets);
        }

        static Iterator<Tuple2<Integer, long[]>> split(long[] ids, int buckets) {
            int[] counts = new int[buckets];
            for (long id : ids) counts[bucket(id, buckets)]++;
            long[][] out = new long[buckets][];
            for (int b = 0; b < buckets; b++) out[b] = new long[counts[b]];
            Arrays.fill(counts, 0);
            for (long id : ids) {
                int b = bucket(id, buckets);
                out[b][counts[b]++] = id;
            }
            List<Tuple2<Integer, long[]>> pairs = new ArrayList<>();
            for (int b = 0; b < buckets; b++) if (out[b].length > 0) pairs.add(new Tuple2<>(b, out[b]));
            return pairs.iterator();
        }

        static Iterator<Long> firstDuplicate(Iterator<Tuple2<Integer, long[]>> arrays) {
            List<long[]> all = new ArrayList<>();
            int n = 0;
            while (arrays.hasNext()) {
                long[] a = arrays.next()._2();
                all.add(a);
                n += a.length;
            }
            long[] ids = new long[n];
            int at = 0;
            for (long[] a : all) {
                System.arraycopy(a, 0, ids, at, a.length);
                at += a.length;
            }
            Arrays.sort(ids);
            for (int i = 1; i < n; i++)
                if (ids[i] == ids[i - 1])
                    return Collections.singletonList(ids[i]).iterator();
            return Collections.emptyIterator();
        }
    }

    /** The indexed partitions, collected to the driver: for a database one process serves ({@link LoadedCodes}). */
    List<IndexPartition> partitions() {
        return index.collect();
    }

    /** The database's rows, counted as they were indexed. */
    public long databaseSize() {
        return databaseSize;
    }

    /** Queries a block may hold so that a task's codes and candidate lists stay within {@code bytes}. */
    public int blockSize(long bytes, int queries) {
        long perQuery = 8L * PackedCodes.wordsFor(bits)
                + 64
                + bits
                + (long) depth * (36 + 8L * PackedCodes.wordsFor(labelWidth));
        return (int) Math.max(1, Math.min(queries, bytes / perQuery));
    }

    /**
     * Ranks the database for {@code block} and appends its neighbour rows ({@link NeighbourTable}) to
     * {@code staging}, sorted by query id and rank; counts the pairs compared on {@code pairs}.
     */
    public void write(QueryCodes block, Path staging, LongAccumulator pairs) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<QueryCodes> queries = broadcast(block);
        try {
            int files = (int) Math.max(1, Math.min(jsc.defaultParallelism(), (long) block.size() * k / ROWS_PER_FILE));
            spark.createDataFrame(
                            ranked(queries, files, pairs),
                            NeighbourTable.schema(block.sources != null, refine.reranks()))
                    .write()
                    .mode(SaveMode.Append)
                    .parquet(staging.toString());
        } catch (Exception e) { // a failed Spark job's SparkException is checked, and thrown undeclared
            IllegalArgumentException bad = Spark.badInput(e);
            if (bad != null) throw bad;
            throw e;
        } finally {
            queries.destroy();
        }
    }

    @Override
    public void close() {
        index.unpersist(false);
    }

    /** The block broadcast, refused first when re-ranking needs its int8 codes and it has none. */
    private Broadcast<QueryCodes> broadcast(QueryCodes block) {
        if (refine.reranks() && block.int8 == null)
            throw new IllegalArgumentException("the queries have no int8 codes: " + refine);
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(block);
    }

    /** The neighbour rows of the broadcast block: every partition's lists merged into {@code files} partitions. */
    private JavaRDD<Row> ranked(Broadcast<QueryCodes> queries, int files, LongAccumulator pairs) {
        int top = depth; // the closures must not capture this
        return index.flatMapToPair(new RankPartition(queries, depth, maxDistance, refine.reranks(), pairs))
                .reduceByKey(new QueryRanges(files, queries.value().size()), (a, b) -> Neighbours.merge(a, b, top))
                .mapPartitions(new ToRows(queries, labelWidth, refine, k));
    }

    /**
     * One database partition's top {@code depth} for every query of the block, with their re-ranking
     * scores when asked: (query's position in the block, its list).
     */
    private static final class RankPartition implements PairFlatMapFunction<IndexPartition, Integer, Neighbours> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QueryCodes> queries;
        private final int k, maxDistance;
        private final boolean scored;
        private final LongAccumulator pairs;

        RankPartition(Broadcast<QueryCodes> queries, int k, int maxDistance, boolean scored, LongAccumulator pairs) {
            this.queries = queries;
            this.k = k;
            this.maxDistance = maxDistance;
            this.scored = scored;
            this.pairs = pairs;
        }

        @Override
        public Iterator<Tuple2<Integer, Neighbours>> call(IndexPartition p) {
            if (p.size() == 0) return Collections.emptyIterator();
            QueryCodes q = queries.value();
            RankedLists ranked = new HammingRanker(1).topK(q.codes, p.codes, k); // one task, one core
            pairs.add((long) q.size() * p.size());
            int w = p.labelWords;
            List<Tuple2<Integer, Neighbours>> out = new ArrayList<>(q.size());
            for (int i = 0; i < q.size(); i++) {
                int n = 0;
                while (n < ranked.k() && (maxDistance < 0 || ranked.distance(i, n) <= maxDistance)) n++;
                if (n == 0) continue;
                long[] ids = new long[n], labels = new long[n * w];
                int[] distances = new int[n];
                double[] scores = scored ? new double[n] : null;
                for (int r = 0; r < n; r++) {
                    int at = ranked.index(i, r);
                    ids[r] = p.ids[at];
                    distances[r] = ranked.distance(i, r);
                    if (scored) scores[r] = q.int8.cosine(i, p.int8, at);
                    System.arraycopy(p.labels, at * w, labels, r * w, w);
                }
                out.add(new Tuple2<>(i, new Neighbours(ids, distances, labels, w, scores)));
            }
            return out.iterator();
        }
    }

    /** Contiguous ranges of a block's queries, one a partition, so each output file holds a range of query ids. */
    private static final class QueryRanges extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int partitions, queries;

        QueryRanges(int partitions, int queries) {
            this.partitions = partitions;
            this.queries = queries;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((long) (Integer) key * partitions / queries);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof QueryRanges
                    && ((QueryRanges) o).partitions == partitions
                    && ((QueryRanges) o).queries == queries;
        }

        @Override
        public int hashCode() {
            return 31 * partitions + queries;
        }
    }

    /** A partition's merged lists as neighbour rows (re-ranked, the first k), in query order, then rank order. */
    private static final class ToRows implements FlatMapFunction<Iterator<Tuple2<Integer, Neighbours>>, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QueryCodes> queries;
        private final int labelWidth, k;
        private final Refinement refine;

        ToRows(Broadcast<QueryCodes> queries, int labelWidth, Refinement refine, int k) {
            this.queries = queries;
            this.labelWidth = labelWidth;
            this.refine = refine;
            this.k = k;
        }

        @Override
        public Iterator<Row> call(Iterator<Tuple2<Integer, Neighbours>> lists) {
            List<Tuple2<Integer, Neighbours>> sorted = new ArrayList<>();
            lists.forEachRemaining(sorted::add);
            sorted.sort((a, b) -> Integer.compare(a._1(), b._1()));
            QueryCodes q = queries.value();
            List<Row> rows = new ArrayList<>();
            for (Tuple2<Integer, Neighbours> t : sorted) {
                int i = t._1();
                Neighbours n = refine.reranks() ? t._2().refined(refine, k) : t._2();
                for (int r = 0; r < n.size(); r++) {
                    List<Object> values = new ArrayList<>(Arrays.asList(
                            q.ids[i], r + 1, n.ids[r], n.distances[r], q.labels[i], n.labels(r, labelWidth)));
                    if (q.sources != null) values.add(q.sources[i]);
                    if (n.scores != null) values.add(n.scores[r]);
                    rows.add(RowFactory.create(values.toArray()));
                }
            }
            return rows.iterator();
        }
    }

    /**
     * The neighbour rows ({@link NeighbourTable}) of a small {@code block}, collected
     * to the driver in query and rank order: a report's few sampled queries, ranked as {@link #write} ranks.
     */
    public List<Row> collect(QueryCodes block) {
        Broadcast<QueryCodes> queries = broadcast(block);
        try {
            JavaRDD<Row> rows = ranked(queries, 1, spark.sparkContext().longAccumulator());
            return spark.createDataFrame(rows, NeighbourTable.schema(block.sources != null, refine.reranks()))
                    .collectAsList(); // rows as the table's readers see them
        } finally {
            queries.destroy();
        }
    }
}
