package io.mlh.jobs.gallery;

import static org.apache.spark.sql.functions.col;

import io.mlh.core.search.Refinement;
import io.mlh.jobs.common.Html;
import io.mlh.jobs.images.Thumbnails;
import io.mlh.jobs.index.DistributedSearch;
import io.mlh.jobs.index.QueryCodes;
import io.mlh.jobs.source.SourceImages;
import io.mlh.jobs.source.SourceSettings;
import io.mlh.jobs.tables.CodeSplit;
import io.mlh.jobs.tables.NeighbourTable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.log4j.Logger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A retrieval gallery: for a few queries, evenly spaced by id, the query image and its nearest
 * database images as thumbnails, each neighbour with its rank and distance (and its cosine when the
 * ranking was re-ranked, {@link Refinement}) and marked relevant (it
 * shares a positive class with the query: a green border and ✓) or not (red, ✗). The evaluate job's
 * report shows it ({@link #forEvaluation}); the search job writes it as {@value #PAGE} into the
 * neighbours table ({@link #writePage}). An image that cannot be shown is a placeholder naming its id
 * and the reason; nothing is left out silently. A script on the page counts the thumbnails the browser
 * decoded into the section's {@code data-decoded} attribute (beside {@code data-images}, the count).
 */
public final class Gallery {
    private static final Logger LOG = Logger.getLogger(Gallery.class);
    /** Neighbours shown a query. */
    public static final int NEIGHBOURS = 10;
    /** The search job's gallery page inside the neighbours table (Parquet readers skip names starting with _). */
    public static final String PAGE = "_gallery.html";

    /** One shown neighbour. */
    static final class Neighbour {
        final int rank, distance;
        final long id;
        final int[] labels;
        /** The re-ranking's cosine; NaN when the ranking was not re-ranked. */
        final double score;

        Neighbour(int rank, long id, int distance, int[] labels, double score) {
            this.rank = rank;
            this.id = id;
            this.distance = distance;
            this.labels = labels;
            this.score = score;
        }
    }

    /** One shown query and its neighbours, nearest first. */
    static final class Query {
        final long id;
        final int[] labels;
        final List<Neighbour> neighbours;

        Query(long id, int[] labels, List<Neighbour> neighbours) {
            this.id = id;
            this.labels = labels;
            this.neighbours = neighbours;
        }
    }

    private final List<Query> queries;
    /** Query images by query id, database images by database id (the ids of source queries are not shard ids). */
    private final Thumbnails queryImages, databaseImages;
    /** How the neighbours were ranked, for the page to say. */
    private final Refinement refine;

    Gallery(List<Query> queries, Thumbnails queryImages, Thumbnails databaseImages, Refinement refine) {
        this.queries = queries;
        this.queryImages = queryImages;
        this.databaseImages = databaseImages;
        this.refine = refine;
    }

    /** {@code count} of the ascending {@code ids}, evenly spaced from the first: the same queries on every run. */
    static int[] sample(long[] ids, int count) {
        int n = Math.min(count, ids.length);
        int[] at = new int[n];
        for (int i = 0; i < n; i++) at[i] = (int) ((long) i * ids.length / n);
        return at;
    }

    /**
     * The gallery of {@code queries} at positions {@code at}, from their neighbour rows ({@link
     * NeighbourTable}'s columns, any order, ranks beyond {@link #NEIGHBOURS} ignored; with {@code scored},
     * the last column is the re-ranking's score).
     */
    static List<Query> of(QueryCodes queries, int[] at, List<Row> rows, boolean scored) {
        Map<Long, List<Neighbour>> byQuery = new HashMap<>();
        for (Row r : rows) {
            if (r.getInt(1) > NEIGHBOURS) continue;
            byQuery.computeIfAbsent(r.getLong(0), q -> new ArrayList<>())
                    .add(new Neighbour(
                            r.getInt(1),
                            r.getLong(2),
                            r.getInt(3),
                            ints(r.getList(5)),
                            scored ? r.getDouble(r.length() - 1) : Double.NaN));
        }
        List<Query> out = new ArrayList<>();
        for (int i : at) {
            List<Neighbour> n = byQuery.getOrDefault(queries.ids[i], Collections.<Neighbour>emptyList());
            n.sort(Comparator.comparingInt(x -> x.rank));
            out.add(new Query(queries.ids[i], queries.labels[i], n));
        }
        return out;
    }

    /**
     * The evaluation report's gallery section: {@code shown} of the queries, their top
     * {@link #NEIGHBOURS} ranked exactly against the whole database (ties by ascending id, as the metrics
     * rank, re-ranked by {@code refine} as they were) on the executors ({@code partitions} of them, 0: Spark's default), the images from the
     * shard table at {@code shards}; if that is missing or not committed, the
     * section says so and shows placeholders.
     */
    public static String forEvaluation(
            SparkSession spark,
            CodeSplit queryTable,
            CodeSplit database,
            int shown,
            int partitions,
            Refinement refine,
            String shards,
            boolean verifyInputs)
            throws IOException {
        long[] ids = queryTable.rows.select("id").collectAsList().stream()
                .mapToLong(r -> r.getLong(0))
                .sorted()
                .toArray();
        int[] at = sample(ids, shown);
        Object[] sampled = Arrays.stream(at).mapToObj(i -> ids[i]).toArray();
        QueryCodes queries = QueryCodes.of(
                queryTable.rows.filter(col("id").isin(sampled)).collectAsList(),
                queryTable.bits,
                false,
                queryTable.int8 ? 4 : -1,
                queryTable.name);
        List<Row> rows;
        try (DistributedSearch search = new DistributedSearch(spark, database, partitions, NEIGHBOURS, -1, refine)) {
            rows = search.collect(queries);
        }
        List<Query> sampledQueries =
                of(queries, IntStream.range(0, queries.size()).toArray(), rows, refine.reranks());
        Thumbnails images = Thumbnails.fromShards(spark, shards, imageIds(sampledQueries, true), verifyInputs);
        return new Gallery(sampledQueries, images, images, refine).section();
    }

    /**
     * Writes {@value #PAGE} into the neighbours table's staging directory, from the rows just written
     * there (ranked as {@code refine} says): {@code galleryQueries} queries, their images from the shard
     * table at {@code shards}, or, when {@code source} is given (the queries are its images), from their
     * own files.
     */
    public static void writePage(
            SparkSession spark,
            QueryCodes queries,
            Path staging,
            int galleryQueries,
            Refinement refine,
            String shards,
            boolean verifyInputs,
            SourceSettings source)
            throws IOException {
        int[] at = sample(queries.ids, galleryQueries);
        Object[] sampled = Arrays.stream(at).mapToObj(i -> queries.ids[i]).toArray();
        List<Row> rows = spark.read()
                .schema(NeighbourTable.schema(queries.sources != null, refine.reranks()))
                .parquet(staging.toString())
                .filter(col("query_id").isin(sampled).and(col("rank").leq(NEIGHBOURS)))
                .collectAsList();
        List<Query> shown = of(queries, at, rows, refine.reranks());
        boolean ownImages = source != null;
        Thumbnails database = Thumbnails.fromShards(spark, shards, imageIds(shown, !ownImages), verifyInputs);
        Thumbnails images = ownImages ? sourceImages(spark, source, queries, at) : database;
        String title = "MLH search: " + shown.size() + " of " + queries.size() + " queries and their neighbours";
        Path page = new Path(staging, PAGE);
        try (OutputStream out =
                page.getFileSystem(spark.sparkContext().hadoopConfiguration()).create(page, true)) {
            out.write(page(title, new Gallery(shown, images, database, refine).section())
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The source queries' own images; none, saying why, if they cannot be read (the search stands regardless). */
    private static Thumbnails sourceImages(SparkSession spark, SourceSettings s, QueryCodes queries, int[] at) {
        long[] ids = new long[at.length];
        String[] sources = new String[at.length];
        for (int i = 0; i < at.length; i++) {
            ids[i] = queries.ids[at[i]];
            sources[i] = queries.sources[at[i]];
        }
        try {
            return Thumbnails.of(SourceImages.at(spark, s, ids, sources), "its source image does not decode");
        } catch (Exception e) { // a failed Spark job's SparkException is checked, and thrown undeclared
            LOG.warn("the gallery's query images cannot be read: " + e.getMessage());
            return Thumbnails.none("the query images cannot be read: " + e.getMessage());
        }
    }

    /** The ids whose images the gallery shows: the neighbours', and with {@code withQueries} the queries'. */
    static Set<Long> imageIds(List<Query> queries, boolean withQueries) {
        Set<Long> ids = new LinkedHashSet<>();
        for (Query q : queries) {
            if (withQueries) ids.add(q.id);
            for (Neighbour n : q.neighbours) ids.add(n.id);
        }
        return ids;
    }

    /** A cosine as the captions show it. */
    private static String cosine(double score) {
        return String.format(Locale.ROOT, "%.3f", score);
    }

    /** Relevance as the metrics define it: the two share a positive class. */
    static boolean relevant(int[] query, int[] item) {
        for (int c = 0; c < Math.min(query.length, item.length); c++) if (query[c] > 0 && item[c] > 0) return true;
        return false;
    }

    private static final String STYLE = "<style>#gallery .g-row{display:flex;flex-wrap:wrap;align-items:flex-start;"
            + "gap:6px;margin:.6em 0;padding-bottom:.6em;border-bottom:1px solid #ddd}"
            + "#gallery figure{margin:0;width:76px;text-align:center;font-size:11px;line-height:1.3}"
            + "#gallery figure.g-query{width:96px;margin-right:10px}"
            + "#gallery img,#gallery .g-missing{display:block;box-sizing:border-box;width:70px;height:70px;"
            + "object-fit:contain;border:3px solid #888;background:#000;margin:0 auto 2px}"
            + "#gallery .g-query img,#gallery .g-query .g-missing{width:90px;height:90px;border-color:#1f77b4}"
            + "#gallery .g-rel img,#gallery .g-rel .g-missing{border-color:#2ca02c}"
            + "#gallery .g-irr img,#gallery .g-irr .g-missing{border-color:#d62728}"
            + "#gallery .g-missing{background:#f4f6f8;color:#333;font-size:9px;overflow:hidden;padding:2px;"
            + "word-break:break-all}"
            + "#gallery .g-rel .g-mark{color:#2ca02c;font-weight:bold}"
            + "#gallery .g-irr .g-mark{color:#d62728;font-weight:bold}</style>\n";

    /** Counts the gallery images the browser decoded, once the page has loaded. */
    private static final String SCRIPT = "<script>(function(){function count(){"
            + "var g=document.getElementById('gallery'),im=g.getElementsByTagName('img'),n=0;"
            + "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)n++;"
            + "var box=g.getBoundingClientRect();g.setAttribute('data-decoded',n);"
            + "g.setAttribute('data-top',Math.round(box.top+window.scrollY));"
            + "g.setAttribute('data-height',Math.round(box.height));"
            + "document.getElementById('gallery-status').textContent=n+' of '+im.length+' thumbnails shown.';}"
            + "if(document.readyState==='complete')count();else window.addEventListener('load',count);})();"
            + "</script>\n";

    /** The gallery as a section of an HTML page (its style and script included). */
    String section() {
        int images = 0;
        boolean scored = refine.reranks();
        StringBuilder rows = new StringBuilder();
        for (Query q : queries) {
            rows.append("<div class=\"g-row\" data-query=\"").append(q.id).append("\">");
            images += figure(
                    rows,
                    "g-query",
                    queryImages,
                    q.id,
                    "query " + q.id,
                    "query " + q.id + "<br>" + classes(q.labels),
                    "");
            for (Neighbour n : q.neighbours) {
                boolean rel = relevant(q.labels, n.labels);
                String mark = "<span class=\"g-mark\">" + (rel ? "✓" : "✗") + "</span>";
                images += figure(
                        rows,
                        rel ? "g-n g-rel" : "g-n g-irr",
                        databaseImages,
                        n.id,
                        "rank " + n.rank + ", id " + n.id + ", distance " + n.distance
                                + (scored ? ", cosine " + cosine(n.score) : "") + ", "
                                + (rel ? "relevant" : "not relevant"),
                        "#" + n.rank + " " + mark + " d=" + n.distance + (scored ? " c=" + cosine(n.score) : "")
                                + "<br>id " + n.id + "<br>" + classes(n.labels),
                        " data-rank=\"" + n.rank + "\" data-id=\"" + n.id + "\" data-distance=\"" + n.distance
                                + "\" data-relevant=\"" + rel + "\""
                                + (scored ? " data-score=\"" + n.score + "\"" : ""));
            }
            if (q.neighbours.isEmpty()) rows.append("<p>no neighbours</p>");
            rows.append("</div>\n");
        }
        StringBuilder h = new StringBuilder(STYLE);
        h.append("<section id=\"gallery\" data-queries=\"")
                .append(queries.size())
                .append("\" data-images=\"")
                .append(images)
                .append("\">\n<h2>Retrieval gallery</h2>\n<p>")
                .append(queries.size())
                .append(" queries, evenly spaced by id, each with its ")
                .append(NEIGHBOURS)
                .append(" nearest database images (")
                .append(
                        refine.reranks()
                                ? "the first " + refine.candidates
                                        + " by ascending Hamming distance d, ties by ascending id,"
                                        + " re-ranked by the cosine c of their int8 continuous codes, higher first"
                                : "ascending Hamming distance d, ties by ascending id")
                .append(
                        "). A green border and ✓ mark a neighbour that shares a positive class with the query"
                                + " (relevant), a red border and ✗ one that does not. <span id=\"gallery-status\"></span></p>\n")
                .append(rows)
                .append("</section>\n")
                .append(SCRIPT);
        return h.toString();
    }

    /** One thumbnail, or the placeholder naming its id; returns the images it added (1 or 0). */
    private static int figure(
            StringBuilder h, String kind, Thumbnails images, long id, String alt, String caption, String data) {
        h.append("<figure class=\"").append(kind).append('"').append(data).append('>');
        String uri = images.uri(id);
        if (uri != null) {
            h.append("<img src=\"").append(uri).append("\" alt=\"").append(alt).append("\">");
        } else {
            String why = Html.escape(images.problem(id));
            h.append("<div class=\"g-missing\" title=\"")
                    .append(why)
                    .append("\">no image: id ")
                    .append(id)
                    .append(", ")
                    .append(why)
                    .append("</div>");
        }
        h.append("<figcaption>").append(caption).append("</figcaption></figure>");
        return uri != null ? 1 : 0;
    }

    /** "classes 1, 7" of a multi-hot vector. */
    private static String classes(int[] labels) {
        StringBuilder c = new StringBuilder();
        for (int i = 0; i < labels.length; i++)
            if (labels[i] > 0) c.append(c.length() == 0 ? "" : ", ").append(i);
        return c.length() == 0 ? "no class" : (c.indexOf(",") < 0 ? "class " : "classes ") + c;
    }

    /** A page holding only {@code section}. */
    static String page(String title, String section) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html.escape(title)
                + "</title>\n<style>body{font-family:sans-serif;margin:2em}</style></head><body>\n<h1>"
                + Html.escape(title) + "</h1>\n" + section + "</body></html>\n";
    }

    private static int[] ints(List<?> values) {
        int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) values.get(i)).intValue();
        return out;
    }
}
