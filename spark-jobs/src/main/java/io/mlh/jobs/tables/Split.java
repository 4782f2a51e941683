package io.mlh.jobs.tables;

import io.mlh.core.config.ConfigChoice;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/**
 * The split of a shard- or code-table row, as its {@code split} column spells it ({@link #value()}),
 * and the rows a job's {@code *-split} key selects: one split, or {@link #ALL} of them.
 */
public enum Split implements ConfigChoice {
    /** The images searched for: the query set of the retrieval protocol. */
    QUERY,
    /** The images searched: the retrieval database (some of them may also train). */
    DATABASE,
    /** Images that only train: in neither the query set nor the database. */
    TRAIN,
    /** A selection, never a stored value: every row. */
    ALL;

    /** The value a table's split column holds for this split. */
    public String value() {
        if (this == ALL) throw new IllegalStateException("all is a selection of rows, not a stored split");
        return configName();
    }

    /** The split a stored value names; fails naming the value for anything else. */
    public static Split of(String value) {
        for (Split s : values()) if (s != ALL && s.configName().equals(value)) return s;
        throw new IllegalArgumentException("unknown split \"" + value + "\": expected query, database or train");
    }

    /** The rows of {@code rows} this selects, by their split column. */
    public Column filter() {
        return this == ALL ? functions.lit(true) : functions.col("split").equalTo(value());
    }

    /** How messages name the rows this selects ("" for all). */
    public String describe() {
        return this == ALL ? "" : "split = " + value();
    }
}
