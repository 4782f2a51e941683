package io.mlh.jobs.encode;

import io.mlh.jobs.shard.ShardTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The code table: one Parquet row per encoded image, written by {@link EncodeJob} and read by the
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
 * <p>Files: one Parquet file per input partition, committed as a whole ({@code CommittedOutput}).
 */
public final class CodeTable {
    private CodeTable() {}

    /** The split values, the shard table's. */
    public static final String QUERY = ShardTable.QUERY, DATABASE = ShardTable.DATABASE;
    /** The optional columns. */
    public static final String CONTINUOUS = "continuous", GATE_CENTRE = "gate_centre", GATE_PAIRWISE = "gate_pairwise";

    /** The columns every code table has, in order. */
    public static final StructType REQUIRED = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("bits", DataTypes.IntegerType, false)
            .add("code", DataTypes.createArrayType(DataTypes.LongType, false), false);

    /** The schema of a table written with or without the continuous code and the gate weights. */
    public static StructType schema(boolean continuous, boolean gates) {
        StructType t = REQUIRED;
        if (continuous) t = t.add(CONTINUOUS, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        if (gates) {
            t = t.add(GATE_CENTRE, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                    .add(GATE_PAIRWISE, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        }
        return t;
    }

    /** The required columns of a code table, read with their declared types. */
    public static Dataset<Row> read(SparkSession spark, String path) {
        return spark.read().schema(REQUIRED).parquet(path);
    }
}
