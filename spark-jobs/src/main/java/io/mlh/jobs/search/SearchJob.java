package io.mlh.jobs.search;

import io.mlh.core.config.MlhConfig;
import io.mlh.jobs.common.Command;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.common.ModelBundle;
import io.mlh.jobs.common.Progress;
import io.mlh.jobs.common.RerankSettings;
import io.mlh.jobs.common.Spark;
import io.mlh.jobs.gallery.Gallery;
import io.mlh.jobs.index.DistributedSearch;
import io.mlh.jobs.index.QueryCodes;
import io.mlh.jobs.inference.ImageEncoder;
import io.mlh.jobs.source.SourceImages;
import io.mlh.jobs.source.SourceSettings;
import io.mlh.jobs.tables.CodeSplit;
import io.mlh.jobs.tables.CodeTable;
import io.mlh.jobs.tables.NeighbourTable;
import io.mlh.jobs.tables.ShardTable;
import io.mlh.jobs.tables.Split;
import java.io.IOException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mlh-search} ({@code --class io.mlh.jobs.search.SearchJob mlh-encode.jar}): every query's
 * {@code jobs.search.k} nearest rows of a committed code table, as a committed neighbours table
 * ({@link NeighbourTable}). The queries are rows of a code table, rows of the shard table or the
 * images {@code data.*} describes, the last two encoded on the fly with the model bundle as the encode
 * job would ({@code jobs.search.queries}). The search is exact ({@link DistributedSearch}). With
 * {@code jobs.search.gallery-queries} the table also holds {@value Gallery#PAGE} ({@link Gallery}).
 */
public final class SearchJob {
    private static final Logger LOG = Logger.getLogger(SearchJob.class);

    private SearchJob() {}

    public static final Command COMMAND = new Command(
            "mlh-search",
            "mlh-encode.jar",
            SearchJob.class,
            "Finds every query's nearest rows of a code table (exact Hamming search on the executors) and\n"
                    + "writes them as the neighbours table (paths.neighbours).",
            Command.keys(
                    Arrays.asList(SearchSettings.class, RerankSettings.class, SourceSettings.class, JobSettings.class),
                    ImageEncoder.BATCH_SIZE,
                    ImageEncoder.PRECISION,
                    MlhConfig.ENCODE_BRANCH,
                    MlhConfig.ENGINE));

    public static void main(String[] args) {
        Spark.main(COMMAND, args, SearchJob::run);
    }

    /** Writes the neighbours table; returns its row count. */
    public static long run(SparkSession spark, JobSettings s) throws IOException {
        SearchSettings p = new SearchSettings(s);
        // each table is read once: its rows are checked as the index or the query list takes them
        CodeSplit database =
                withInt8(CodeSplit.openForOnePass(spark, p.databaseCodes, p.databaseSplit, s.verifyInputs), p);
        switch (p.queries) {
            case CODES: {
                CodeSplit q = p.queryCodes.equals(p.databaseCodes)
                        ? database.split(p.querySplit)
                        : withInt8(CodeSplit.openForOnePass(spark, p.queryCodes, p.querySplit, s.verifyInputs), p);
                database.requireComparable(q.name, q.bits, q.provenance);
                return write(spark, s, p, database, QueryCodes.of(q));
            }
            case SHARDS: {
                ImageEncoder encoder = encoder(spark, s, p, database);
                CommittedOutput.requireCommitted(spark, s.shardsPath, s.verifyInputs);
                Dataset<Row> shards = ShardTable.read(spark, s.shardsPath);
                Dataset<Row> images = shards.filter(p.querySplit.filter());
                String name = "shard table " + s.shardsPath
                        + (p.querySplit == Split.ALL ? "" : " (" + p.querySplit.describe() + ")");
                return write(spark, s, p, database, encode(spark, s, encoder, images, images.count(), name));
            }
            case SOURCE: {
                ImageEncoder encoder = encoder(spark, s, p, database);
                SourceSettings source = new SourceSettings(s.model);
                SourceImages images = SourceImages.read(spark, source);
                long[] written = new long[1];
                images.writeWithRejects(spark, p.neighbours, s.overwrite, s.claims, staging -> {
                    QueryCodes queries = encode(
                            spark, s, encoder, images.rows(), images.catalogued(), "the images of " + source.root);
                    written[0] = search(spark, s, p, database, queries, staging, source);
                    return queries.size(); // every catalogued image is a query or a reject
                });
                return written[0];
            }
            default:
                throw new IllegalStateException("queries " + p.queries);
        }
    }

    /** Commits the neighbours table of {@code queries}; returns its row count. */
    private static long write(
            SparkSession spark, JobSettings s, SearchSettings p, CodeSplit database, QueryCodes queries)
            throws IOException {
        return CommittedOutput.write(
                spark,
                p.neighbours,
                s.overwrite,
                s.claims,
                staging -> search(spark, s, p, database, queries, staging, null));
    }

    /**
     * Ranks the database for every query, a block at a time, into {@code staging}; returns the rows
     * written. {@code source}: the data set the queries are the images of; null when they are rows of a table.
     */
    private static long search(
            SparkSession spark,
            JobSettings s,
            SearchSettings p,
            CodeSplit database,
            QueryCodes queries,
            Path staging,
            SourceSettings source)
            throws IOException {
        try (DistributedSearch search =
                        new DistributedSearch(spark, database, p.partitions, p.k, p.maxDistance, p.rerank);
                Progress progress = Progress.start(
                        spark.sparkContext(),
                        "search",
                        "pairs",
                        (long) queries.size() * search.databaseSize(),
                        s.progressIntervalMillis)) {
            int block = search.blockSize(p.queryBlockBytes, queries.size());
            LOG.info(queries.size() + " queries against " + search.databaseSize() + " codes of " + database.name
                    + ", top "
                    + p.k + (p.maxDistance >= 0 ? " within distance " + p.maxDistance : "") + ", in blocks of "
                    + block + " queries");
            for (int from = 0; from < queries.size(); from += block)
                search.write(queries.block(from, Math.min(queries.size(), from + block)), staging, progress.counter());
        }
        long rows = spark.read()
                .schema(NeighbourTable.schema(queries.sources != null, p.rerank.reranks()))
                .parquet(staging.toString())
                .count();
        LOG.info(rows + " neighbours of " + queries.size() + " queries written to " + p.neighbours);
        if (p.galleryQueries > 0)
            Gallery.writePage( // inside the manifest
                    spark, queries, staging, p.galleryQueries, p.rerank, s.shardsPath, s.verifyInputs, source);
        return rows;
    }

    /** A table's split with its int8 codes when the search re-ranks (refused without them, naming the key). */
    private static CodeSplit withInt8(CodeSplit split, SearchSettings p) {
        return p.rerank.reranks() ? split.withInt8("mlh.jobs.rerank.mode = refine") : split;
    }

    /**
     * The model bundle's encoder (with each query's int8 continuous code when the search re-ranks),
     * refused unless its codes can be ranked against the database's.
     */
    private static ImageEncoder encoder(SparkSession spark, JobSettings s, SearchSettings p, CodeSplit database)
            throws IOException {
        ImageEncoder encoder = ImageEncoder.of(
                spark,
                ModelBundle.load(spark.sparkContext().hadoopConfiguration(), s.modelPath),
                s.modelPath,
                s.model,
                ImageEncoder.PRECISION,
                p.rerank.reranks()
                        ? EnumSet.of(CodeTable.Extra.CONTINUOUS_INT8)
                        : EnumSet.noneOf(CodeTable.Extra.class),
                s.model.reader().get(ImageEncoder.BATCH_SIZE));
        database.requireComparable("the model bundle " + s.modelPath, encoder.bits(), encoder.provenance());
        return encoder;
    }

    /** The queries' codes, encoded on the executors and collected with their labels and source paths. */
    private static QueryCodes encode(
            SparkSession spark, JobSettings s, ImageEncoder encoder, Dataset<Row> images, long total, String name) {
        List<Row> rows;
        try (Progress progress =
                Progress.start(spark.sparkContext(), "encode queries", "images", total, s.progressIntervalMillis)) {
            Dataset<Row> codes = encoder.codes(spark, images, progress, true);
            rows = (encoder.int8()
                            ? codes.select("id", "labels", "code", "source", CodeTable.CONTINUOUS_INT8)
                            : codes.select("id", "labels", "code", "source"))
                    .collectAsList();
        }
        if (rows.isEmpty()) throw new IllegalArgumentException("no queries: " + name + " has no images to encode");
        return QueryCodes.of(rows, encoder.bits(), true, encoder.int8() ? 4 : -1, name);
    }
}
