package io.mlh.jobs.tables;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The code table: one Parquet row per encoded image, written by the encode job and read by the
 * evaluate job (and the search tools and notes).
 *
 * <pre>
 * column         type           meaning
 * id             long           the shard table's id of the image
 * split          string         as the shard table's: "query" | "database" | "train"
 * labels         array&lt;int&gt;     multi-hot 0/1 vector of length mlh.classes
 * bits           int            code length q
 * code           array&lt;long&gt;    the sign code packed as PackedCodes words: bit i of the code in word i / 64, bit i % 64
 * continuous     array&lt;float&gt;   (jobs.encode.continuous = true) the branch's tanh output u, q values
 * continuous_int8 binary        (jobs.encode.continuous-int8 = true) u as q signed bytes round(127 u)
 *                               (Int8Codes): what re-ranking compares, 8x the code's size
 * gate_centre    array&lt;float&gt;   (jobs.encode.gates = true) the centre branch's softmax gate weights over the K experts
 * gate_pairwise  array&lt;float&gt;   (jobs.encode.gates = true) the pairwise branch's
 * </pre>
 *
 * <p>The {@code code} column's metadata (in every file's footer) says what the codes can be ranked
 * against ({@link Provenance}): the fingerprint of the hash centres the model was trained towards and
 * the branch that encoded them.
 *
 * <p>Files: one Parquet file per input partition, committed as a whole ({@code CommittedOutput}).
 */
public final class CodeTable {
    private CodeTable() {}

    /** The optional columns. */
    public static final String CONTINUOUS = "continuous",
            CONTINUOUS_INT8 = "continuous_int8",
            GATE_CENTRE = "gate_centre",
            GATE_PAIRWISE = "gate_pairwise";

    /** What a table holds beside the required columns, each asked for by its own encode key. */
    public enum Extra {
        /** {@link CodeTable#CONTINUOUS}, jobs.encode.continuous. */
        CONTINUOUS,
        /** {@link CodeTable#CONTINUOUS_INT8}, jobs.encode.continuous-int8. */
        CONTINUOUS_INT8,
        /** {@link CodeTable#GATE_CENTRE} and {@link CodeTable#GATE_PAIRWISE}, jobs.encode.gates. */
        GATES
    }

    /** The columns every code table has, in order. */
    public static final StructType REQUIRED = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("bits", DataTypes.IntegerType, false)
            .add("code", DataTypes.createArrayType(DataTypes.LongType, false), false);

    /** The schema of a table with {@code extras}, its {@code provenance} (null: none) as the {@code code} column's metadata. */
    public static StructType schema(Set<Extra> extras, Provenance provenance) {
        StructType t = new StructType();
        for (StructField f : REQUIRED.fields()) {
            boolean marked = provenance != null && f.name().equals("code");
            t = t.add(marked ? new StructField(f.name(), f.dataType(), f.nullable(), provenance.metadata()) : f);
        }
        if (extras.contains(Extra.CONTINUOUS))
            t = t.add(CONTINUOUS, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        if (extras.contains(Extra.CONTINUOUS_INT8)) t = t.add(CONTINUOUS_INT8, DataTypes.BinaryType, false);
        if (extras.contains(Extra.GATES)) {
            t = t.add(GATE_CENTRE, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                    .add(GATE_PAIRWISE, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        }
        return t;
    }

    /** What a code table's codes are comparable with: codes of the same hash centres, from the same branch. */
    public static final class Provenance implements Serializable {
        private static final long serialVersionUID = 1L;
        private static final String CENTRES = "mlh.centres", BRANCH = "mlh.branch";
        /** {@link io.mlh.core.centres.HashCentres#fingerprint()} of the model's centres. */
        public final String centres;
        /** The branch whose codes these are: centre or pairwise. */
        public final String branch;

        public Provenance(String centres, String branch) {
            this.centres = centres;
            this.branch = branch;
        }

        Metadata metadata() {
            return new MetadataBuilder()
                    .putString(CENTRES, centres)
                    .putString(BRANCH, branch)
                    .build();
        }

        /** The provenance a table's schema records; null for a table written without it (by other tools). */
        public static Provenance of(StructType schema) {
            if (!Arrays.asList(schema.fieldNames()).contains("code")) return null;
            Metadata m = schema.apply("code").metadata();
            return m.contains(CENTRES) && m.contains(BRANCH)
                    ? new Provenance(m.getString(CENTRES), m.getString(BRANCH))
                    : null;
        }

        /** Fails naming both when codes of {@code other} (of what {@code otherName} names) cannot be ranked against these. */
        public void requireComparable(String name, Provenance other, String otherName) {
            if (!centres.equals(other.centres))
                throw new IllegalArgumentException(name + " and " + otherName + " were encoded towards different hash"
                        + " centres (" + centres.substring(0, 12) + "... and " + other.centres.substring(0, 12)
                        + "...): their codes cannot be ranked against each other");
            if (!branch.equals(other.branch))
                throw new IllegalArgumentException(name + " holds " + branch + "-branch codes and " + otherName + " "
                        + other.branch + "-branch codes: set model.encode-branch to match");
        }

        @Override
        public String toString() {
            return branch + " branch, centres " + centres.substring(0, 12) + "...";
        }
    }

    /** The provenance the table at {@code path} records in its footers, or null. */
    public static Provenance provenance(SparkSession spark, String path) {
        return Provenance.of(spark.read().parquet(path).schema());
    }

    /** The required columns of a code table, read with their declared types. */
    public static Dataset<Row> read(SparkSession spark, String path) {
        return spark.read().schema(REQUIRED).parquet(path);
    }
}
