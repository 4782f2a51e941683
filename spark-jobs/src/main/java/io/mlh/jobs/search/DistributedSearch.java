package io.mlh.jobs.search;

import static org.apache.spark.sql.functions.col;

import io.mlh.core.codes.PackedCodes;
import io.mlh.core.search.HammingRanker;
import io.mlh.core.search.RankedLists;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.evaluate.CodeSplit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Exact Hamming top-k of many queries over a database that stays partitioned on the executors: the
 * database rows are range-partitioned by id and each partition is indexed once ({@link IndexPartition},
 * kept between query blocks); the queries go out in broadcast blocks; each partition returns every
 * query's top k with {@link HammingRanker} (ties by position, which is id order there), and the lists
 * of all partitions are merged by (distance, id) ({@link Neighbours#merge}), which is exact. Neither the
 * database nor the merged lists pass through the driver: the neighbours of a block are written by the
 * tasks that merge them.
 */
final class DistributedSearch implements AutoCloseable {
    /** Neighbour rows a file of the output holds, about. */
    private static final long ROWS_PER_FILE = 1_000_000;

    private final SparkSession spark;
    private final JavaRDD<IndexPartition> index;
    private final int bits, labelWidth, k, maxDistance;

    /** Indexes {@code database} in {@code partitions} partitions (0: Spark's default parallelism). */
    DistributedSearch(SparkSession spark, CodeSplit database, int partitions, int k, int maxDistance) {
        this.spark = spark;
        this.bits = database.bits;
        this.labelWidth = database.labelWidth;
        this.k = k;
        this.maxDistance = maxDistance;
        int n = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        this.index = database.rows
                .repartitionByRange(n, col("id"))
                .sortWithinPartitions("id")
                .toJavaRDD()
                .mapPartitions(new IndexPartition.Build(bits, labelWidth, database.name))
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    /** Queries a block may hold so that a task's codes and candidate lists stay within {@code bytes}. */
    int blockSize(long bytes, int queries) {
        long perQuery = 8L * PackedCodes.wordsFor(bits) + 64 + (long) k * (28 + 8L * PackedCodes.wordsFor(labelWidth));
        return (int) Math.max(1, Math.min(queries, bytes / perQuery));
    }

    /**
     * Ranks the database for {@code block} and appends its neighbour rows ({@link NeighbourTable}) to
     * {@code staging}, sorted by query id and rank; counts the pairs compared on {@code pairs}.
     */
    void write(QueryCodes block, Path staging, LongAccumulator pairs) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<QueryCodes> queries = jsc.broadcast(block);
        try {
            int files = (int) Math.max(1, Math.min(jsc.defaultParallelism(), (long) block.size() * k / ROWS_PER_FILE));
            int top = k;
            JavaRDD<Row> rows = index.flatMapToPair(new RankPartition(queries, k, maxDistance, pairs))
                    .reduceByKey(new QueryRanges(files, block.size()), (a, b) -> Neighbours.merge(a, b, top))
                    .mapPartitions(new ToRows(queries, labelWidth));
            spark.createDataFrame(rows, NeighbourTable.schema(block.sources != null))
                    .write()
                    .mode(SaveMode.Append)
                    .parquet(staging.toString());
        } catch (Exception e) { // a failed Spark job's SparkException is checked, and thrown undeclared
            IllegalArgumentException bad = Spark.badInput(e); // e.g. duplicate ids, found while indexing
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

    /** One database partition's top k for every query of the block: (query's position in the block, its list). */
    private static final class RankPartition implements PairFlatMapFunction<IndexPartition, Integer, Neighbours> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QueryCodes> queries;
        private final int k, maxDistance;
        private final LongAccumulator pairs;

        RankPartition(Broadcast<QueryCodes> queries, int k, int maxDistance, LongAccumulator pairs) {
            this.queries = queries;
            this.k = k;
            this.maxDistance = maxDistance;
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
                for (int r = 0; r < n; r++) {
                    int at = ranked.index(i, r);
                    ids[r] = p.ids[at];
                    distances[r] = ranked.distance(i, r);
                    System.arraycopy(p.labels, at * w, labels, r * w, w);
                }
                out.add(new Tuple2<>(i, new Neighbours(ids, distances, labels, w)));
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

    /** A partition's merged lists as neighbour rows, in query order, then rank order. */
    private static final class ToRows implements FlatMapFunction<Iterator<Tuple2<Integer, Neighbours>>, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<QueryCodes> queries;
        private final int labelWidth;

        ToRows(Broadcast<QueryCodes> queries, int labelWidth) {
            this.queries = queries;
            this.labelWidth = labelWidth;
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
                Neighbours n = t._2();
                for (int r = 0; r < n.size(); r++) {
                    Object[] values = q.sources == null ? new Object[6] : new Object[7];
                    values[0] = q.ids[i];
                    values[1] = r + 1;
                    values[2] = n.ids[r];
                    values[3] = n.distances[r];
                    values[4] = q.labels[i];
                    values[5] = n.labels(r, labelWidth);
                    if (q.sources != null) values[6] = q.sources[i];
                    rows.add(RowFactory.create(values));
                }
            }
            return rows.iterator();
        }
    }

    /**
     * The neighbour rows ({@link NeighbourTable}) of a small {@code block}, collected
     * to the driver in query and rank order: a report's few sampled queries, ranked as {@link #write} ranks.
     */
    List<Row> collect(QueryCodes block) {
        Broadcast<QueryCodes> queries =
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(block);
        try {
            LongAccumulator pairs = spark.sparkContext().longAccumulator();
            int top = k; // the closure must not capture this
            JavaRDD<Row> rows = index.flatMapToPair(new RankPartition(queries, k, maxDistance, pairs))
                    .reduceByKey(new QueryRanges(1, block.size()), (a, b) -> Neighbours.merge(a, b, top))
                    .mapPartitions(new ToRows(queries, labelWidth));
            return spark.createDataFrame(rows, NeighbourTable.schema(block.sources != null))
                    .collectAsList(); // rows as the table's readers see them
        } finally {
            queries.destroy();
        }
    }
}
