package io.mlh.jobs.tables;

import java.io.Serializable;
import java.util.Arrays;
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
    public static final String CONTINUOUS = "continuous", GATE_CENTRE = "gate_centre", GATE_PAIRWISE = "gate_pairwise";

    /** The columns every code table has, in order. */
    public static final StructType REQUIRED = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("bits", DataTypes.IntegerType, false)
            .add("code", DataTypes.createArrayType(DataTypes.LongType, false), false);

    /** The schema of a table written with or without the continuous code and the gate weights, of unknown provenance. */
    public static StructType schema(boolean continuous, boolean gates) {
        return schema(continuous, gates, null);
    }

    /** The same with {@code provenance} (null: none) as the {@code code} column's metadata. */
    public static StructType schema(boolean continuous, boolean gates, Provenance provenance) {
        StructType t = new StructType();
        for (StructField f : REQUIRED.fields()) {
            boolean marked = provenance != null && f.name().equals("code");
            t = t.add(marked ? new StructField(f.name(), f.dataType(), f.nullable(), provenance.metadata()) : f);
        }
        if (continuous) t = t.add(CONTINUOUS, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        if (gates) {
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
