package io.mlh.jobs.tables;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;

import io.mlh.core.codes.PackedCodes;
import io.mlh.jobs.common.CommittedOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.log4j.Logger;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The rows of one split (query or database) of a committed code table ({@link CodeTable}), checked before any ranking
 * work so that a bad input fails at once with a message naming the table and the problem: missing
 * marker, missing or mistyped column, nulls, mixed bit lengths or label widths, code arrays of the
 * wrong length, no rows at all. Duplicate ids are refused where the rows are sorted by id anyway
 * (the evaluate job's query set and its first pass over the database), which spares a shuffle of the database.
 *
 * <p>{@link #open} checks the contents in an aggregation pass of its own. A reader that goes through
 * every row once anyway opens the split with {@link #openForOnePass} instead and passes each row
 * through {@link RowCheck}: the same checks, without a second scan of the table.
 */
public final class CodeSplit {
    private static final Logger LOG = Logger.getLogger(CodeSplit.class);

    /** The columns evaluation reads ({@link CodeTable#REQUIRED}); {@code continuous} and any other column are ignored. */
    private static final StructType REQUIRED = CodeTable.REQUIRED;

    /** How messages name the table, e.g. "database code table hdfs:///mlh/codes". */
    public final String name;
    /** id, labels, code, bits of this split's rows (columns 0 to 3), then continuous_int8 if {@link #int8}. */
    public final Dataset<Row> rows;

    /** Whether {@link #rows} carry the int8 continuous code ({@link #withInt8}). */
    public final boolean int8;

    /** The rows; -1 for a split opened with {@link #openForOnePass}, which does not count them. */
    public final long count;

    public final int bits, labelWidth;
    /** What the codes can be ranked against, as the table records it; null if it does not. */
    public final CodeTable.Provenance provenance;

    private final String path;
    private final Split split;
    /** Every row and column of the table. */
    private final Dataset<Row> all;

    private CodeSplit(
            String name,
            String path,
            Split split,
            Dataset<Row> all,
            long count,
            int bits,
            int labelWidth,
            boolean int8) {
        this.name = name;
        this.path = path;
        this.split = split;
        this.all = all;
        this.int8 = int8;
        this.rows = int8
                ? all.filter(split.filter()).select("id", "labels", "code", "bits", CodeTable.CONTINUOUS_INT8)
                : select(all, split);
        this.count = count;
        this.bits = bits;
        this.labelWidth = labelWidth;
        this.provenance = CodeTable.Provenance.of(all.schema());
    }

    /** The rows of {@code path} whose split is {@code split} ({@link Split#ALL}: every row), checked. */
    public static CodeSplit open(SparkSession spark, String path, Split split, boolean verifyHashes)
            throws IOException {
        String name = name(path, split);
        Dataset<Row> all = read(spark, path, name, verifyHashes);
        Dataset<Row> rows = select(all, split);

        // one aggregation pass answers every content check
        Row s = rows.agg(
                        count(lit(1)),
                        count(col("id")),
                        count(col("labels")),
                        count(col("code")),
                        count(col("bits")),
                        min("bits"),
                        max("bits"),
                        min(size(col("labels"))),
                        max(size(col("labels"))),
                        min(size(col("code"))),
                        max(size(col("code"))))
                .first();
        long n = s.getLong(0);
        if (n == 0) throw new IllegalArgumentException(noRows(name, split));
        String[] nullable = {"id", "labels", "code", "bits"};
        for (int c = 0; c < nullable.length; c++) {
            if (s.getLong(1 + c) != n)
                throw new IllegalArgumentException(
                        name + " has " + (n - s.getLong(1 + c)) + " null values in column " + nullable[c]);
        }
        int bits = s.getInt(5);
        if (bits != s.getInt(6))
            throw new IllegalArgumentException(
                    name + " mixes bit lengths: from " + bits + " to " + s.getInt(6) + " bits");
        if (bits < 1) throw new IllegalArgumentException(name + " has codes of " + bits + " bits");
        int width = s.getInt(7);
        if (width != s.getInt(8))
            throw new IllegalArgumentException(
                    name + " mixes label widths: from " + width + " to " + s.getInt(8) + " classes");
        if (width < 1) throw new IllegalArgumentException(name + " has empty label vectors");
        int words = PackedCodes.wordsFor(bits);
        if (s.getInt(9) != words || s.getInt(10) != words) {
            throw new IllegalArgumentException(name + " has code arrays of " + s.getInt(9) + " to " + s.getInt(10)
                    + " words; " + bits + " bits need " + words);
        }
        return new CodeSplit(name, path, split, all, n, bits, width, false);
    }

    /**
     * The rows of {@code path} whose split is {@code split}, for a reader that checks each row with
     * {@link #rowCheck()} as it goes, and refuses an empty split with {@link #noRows()}: only the
     * marker, the columns and the table's first row (its bits and label width, which every other row
     * must match) are read here. {@link #count} is -1.
     */
    public static CodeSplit openForOnePass(SparkSession spark, String path, Split split, boolean verifyHashes)
            throws IOException {
        String name = name(path, split);
        Dataset<Row> all = read(spark, path, name, verifyHashes);
        List<Row> first = select(all, Split.ALL).limit(1).collectAsList();
        if (first.isEmpty()) throw new IllegalArgumentException(noRows(name(path, Split.ALL), Split.ALL));
        Row head = first.get(0);
        for (int c = 0; c < 4; c++)
            if (head.isNullAt(c)) new RowCheck(name, 0, 0).nullIn(c, head.isNullAt(0) ? null : head.getLong(0));
        int bits = head.getInt(3), width = head.getList(1).size();
        if (bits < 1) throw new IllegalArgumentException(name + " has codes of " + bits + " bits");
        if (width < 1) throw new IllegalArgumentException(name + " has empty label vectors");
        return new CodeSplit(name, path, split, all, -1, bits, width, false);
    }

    /** Another split of the same table opened with {@link #openForOnePass}, without reading the table again. */
    public CodeSplit split(Split other) {
        if (count >= 0) throw new IllegalStateException(name + " was not opened for one pass");
        return new CodeSplit(name(path, other), path, other, all, -1, bits, labelWidth, int8);
    }

    /**
     * The same split with each row's int8 continuous code as column 4 ({@link CodeTable#CONTINUOUS_INT8}), for
     * re-ranking ({@code why} says which setting asks); refused when the table has no such column, naming
     * the encode key that writes it. Each code's length is checked where it is read ({@link #int8Code}).
     */
    public CodeSplit withInt8(String why) {
        List<String> have = Arrays.asList(all.schema().fieldNames());
        if (!have.contains(CodeTable.CONTINUOUS_INT8))
            throw new IllegalArgumentException(name + " has no column " + CodeTable.CONTINUOUS_INT8 + ", which " + why
                    + " compares: encode it with mlh.jobs.encode.continuous-int8 = true");
        DataType got = all.schema().apply(CodeTable.CONTINUOUS_INT8).dataType();
        if (!got.equals(DataTypes.BinaryType))
            throw new IllegalArgumentException(
                    name + ": column " + CodeTable.CONTINUOUS_INT8 + " is " + got.simpleString() + ", expected binary");
        return new CodeSplit(name, path, split, all, count, bits, labelWidth, true);
    }

    /** Row {@code r}'s int8 continuous code (column {@code column}), refused naming the id unless it holds {@code bits} bytes. */
    public static byte[] int8Code(Row r, int column, int bits, String table, long id) {
        return int8Code(r.isNullAt(column) ? null : (byte[]) r.get(column), bits, table, id);
    }

    /** {@code code} (null: the column was null), refused naming the id unless it holds {@code bits} bytes. */
    public static byte[] int8Code(byte[] code, int bits, String table, long id) {
        if (code == null)
            throw new IllegalArgumentException(table + " has a null " + CodeTable.CONTINUOUS_INT8 + " at id " + id);
        if (code.length != bits)
            throw new IllegalArgumentException(table + ": the " + CodeTable.CONTINUOUS_INT8 + " code of id " + id
                    + " has " + code.length + " bytes; " + bits + "-bit codes need " + bits);
        return code;
    }

    /** The error for a split without rows, as a reader of a split opened for one pass finds it. */
    public IllegalArgumentException noRows() {
        return new IllegalArgumentException(noRows(name, split));
    }

    /** The checks {@link #open} makes in its aggregation pass, one row (id, labels, code, bits) at a time. */
    public RowCheck rowCheck() {
        return new RowCheck(name, bits, labelWidth);
    }

    /** Refuses a row with a null, another bit length or label width, or a code array of the wrong length. */
    public static final class RowCheck implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private static final String[] COLUMNS = {"id", "labels", "code", "bits"};
        private final String table;
        private final int bits, labelWidth;

        private RowCheck(String table, int bits, int labelWidth) {
            this.table = table;
            this.bits = bits;
            this.labelWidth = labelWidth;
        }

        public void check(Row r) {
            for (int c = 0; c < COLUMNS.length; c++) if (r.isNullAt(c)) nullIn(c, r.isNullAt(0) ? null : r.getLong(0));
            check(r.getLong(0), r.getInt(3), r.getList(1).size(), r.getList(2).size());
        }

        /** The checks of a row without nulls, from its values: readers of Spark's internal rows call this. */
        public void check(long id, int rowBits, int labels, int codeWords) {
            if (rowBits != bits)
                throw new IllegalArgumentException(
                        table + " mixes bit lengths: id " + id + " has " + rowBits + "-bit codes, other rows " + bits);
            if (labels != labelWidth)
                throw new IllegalArgumentException(table + " mixes label widths: id " + id + " has " + labels
                        + " classes, other rows " + labelWidth);
            if (codeWords != PackedCodes.wordsFor(bits))
                throw new IllegalArgumentException(table + " has code arrays of " + codeWords + " words at id " + id
                        + "; " + bits + " bits need " + PackedCodes.wordsFor(bits));
        }

        /** Refuses a null in column {@code c} (0 id, 1 labels, 2 code, 3 bits) of the row of {@code id} (if known). */
        public void nullIn(int c, Long id) {
            throw new IllegalArgumentException(table + " has null values in column " + COLUMNS[c]
                    + (id != null && c > 0 ? " (id " + id + ")" : ""));
        }
    }

    private static String name(String path, Split split) {
        return (split == Split.ALL ? "" : split.value() + " ") + "code table " + path;
    }

    private static String noRows(String name, Split split) {
        return name + (split == Split.ALL ? " has no rows" : " has no rows with " + split.describe());
    }

    /** The committed table at {@code path}, its columns checked. */
    private static Dataset<Row> read(SparkSession spark, String path, String name, boolean verifyHashes)
            throws IOException {
        try {
            CommittedOutput.requireCommitted(spark, path, verifyHashes);
        } catch (IOException e) {
            throw new IOException(name + " cannot be read: " + e.getMessage(), e);
        }
        Dataset<Row> all;
        try {
            all = spark.read().parquet(path);
        } catch (Exception e) { // Scala declares nothing: AnalysisException (checked in Java) arrives undeclared
            if (e instanceof AnalysisException)
                throw new IllegalArgumentException(name + " is not a Parquet table: " + e.getMessage(), e);
            throw e;
        }
        checkColumns(all.schema(), name);
        return all;
    }

    /** id, labels, code, bits of the rows of {@code split}. */
    private static Dataset<Row> select(Dataset<Row> all, Split split) {
        return all.filter(split.filter()).select("id", "labels", "code", "bits");
    }

    private static void checkColumns(StructType schema, String name) {
        List<String> have = Arrays.asList(schema.fieldNames());
        for (StructField want : REQUIRED.fields()) {
            if (!have.contains(want.name())) {
                throw new IllegalArgumentException(name + " has no column " + want.name() + " ("
                        + want.dataType().simpleString() + "); its columns: " + String.join(", ", have));
            }
            DataType got = schema.apply(want.name()).dataType();
            if (!sameType(got, want.dataType())) {
                throw new IllegalArgumentException(name + ": column " + want.name() + " is " + got.simpleString()
                        + ", expected " + want.dataType().simpleString());
            }
        }
    }

    /** Equal types, ignoring whether arrays may hold nulls (Parquet round trips do not keep that flag reliably). */
    private static boolean sameType(DataType a, DataType b) {
        if (a instanceof ArrayType && b instanceof ArrayType)
            return ((ArrayType) a).elementType().equals(((ArrayType) b).elementType());
        return a.equals(b);
    }

    /**
     * The rows as the evaluation passes read them: id, the labels packed as a bit set of the positive
     * classes (array of longs), code. Packed on the executors before the database is shuffled and
     * sorted: 21 classes take 8 bytes instead of 84, 80 classes 16 instead of 320.
     */
    public Dataset<Row> packedRows(SparkSession spark) {
        int labelWords = PackedCodes.wordsFor(labelWidth);
        StructType schema = new StructType()
                .add("id", DataTypes.LongType, false)
                .add("labels", DataTypes.createArrayType(DataTypes.LongType, false), false)
                .add("code", DataTypes.createArrayType(DataTypes.LongType, false), false);
        if (int8) schema = schema.add(CodeTable.CONTINUOUS_INT8, DataTypes.BinaryType, true);
        return spark.createDataFrame(rows.toJavaRDD().map(r -> pack(r, labelWords)), schema);
    }

    /** One row (id, multi-hot labels, code[, int8 code]) with its labels packed into {@code labelWords} words. */
    public static Row pack(Row r, int labelWords) {
        long[] mask = new long[labelWords];
        labelMask(r.getList(1), mask, 0);
        return r.size() > 4
                ? RowFactory.create(r.getLong(0), mask, r.get(2), r.get(4))
                : RowFactory.create(r.getLong(0), mask, r.get(2));
    }

    // Row decoding shared by the driver (queries) and the executors (database rows).

    /** Multi-hot labels as a bit set of the positive classes, written to out[off, off + wordsFor(width)). */
    public static void labelMask(List<?> labels, long[] out, int off) {
        Arrays.fill(out, off, off + PackedCodes.wordsFor(labels.size()), 0L);
        for (int c = 0; c < labels.size(); c++) {
            Object v = labels.get(c);
            if (v != null && ((Number) v).intValue() > 0) out[off + (c >>> 6)] |= 1L << (c & 63);
        }
    }

    /** The packed words of a code, refusing set bits beyond {@code bits} (they would distort distances). */
    public static void code(List<?> words, long[] out, int off, int bits, String table, long id) {
        for (int k = 0; k < words.size(); k++) out[off + k] = (Long) words.get(k);
        requireNoBitsBeyond(out[off + words.size() - 1], bits, table, id);
    }

    /** Refuses a code whose last word has bits set beyond {@code bits} (they would distort distances). */
    public static void requireNoBitsBeyond(long lastWord, int bits, String table, long id) {
        long unused = bits % 64 == 0 ? 0 : -1L << (bits % 64);
        if ((lastWord & unused) != 0)
            throw new IllegalArgumentException(table + ": the code of id " + id + " has bits set beyond bit " + bits);
    }
    /** Refuses codes ({@code name}'s) that cannot be ranked against the database's: other bits, centres or branch. */
    public void requireComparable(String name, int bits, CodeTable.Provenance provenance) {
        if (bits != this.bits)
            throw new IllegalArgumentException(name + " has " + bits + "-bit codes, " + this.name + " " + this.bits
                    + "-bit codes: they cannot be ranked against each other");
        if (provenance != null && this.provenance != null)
            provenance.requireComparable(name, this.provenance, this.name);
        else
            LOG.warn("cannot check that " + name + " and " + this.name + " come from the same hash centres:"
                    + " one of them does not record them");
    }
}
