package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import com.intel.analytics.bigdl.dataset.Sample$;
import io.mlh.core.bigdl.BigDL;
import io.mlh.jobs.common.JobSettings;
import io.mlh.jobs.shard.ImageCodec;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Shard-table rows to BigDL samples: decoding and normalisation happen on the executors. (A named
 * function class, not a lambda: Spark 2.4's closure cleaner cannot read JDK 17 lambda internals.)
 */
public final class ShardSamples {
    private ShardSamples() {}

    static final String[] COLUMNS = {"id", "image", "format", "height", "width", "channels", "labels"};

    /**
     * The shard-table columns the training and encoding jobs read. Given explicitly: Spark 2.4's
     * Parquet schema inference runs a closure its cleaner cannot read on JDK 17.
     */
    public static final StructType SHARD_COLUMNS = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false)
            .add("train", DataTypes.BooleanType, false)
            .add("labels", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("image", DataTypes.BinaryType, false)
            .add("format", DataTypes.StringType, false)
            .add("height", DataTypes.IntegerType, false)
            .add("width", DataTypes.IntegerType, false)
            .add("channels", DataTypes.IntegerType, false);

    public static Dataset<Row> read(org.apache.spark.sql.SparkSession spark, String path) {
        return spark.read().schema(SHARD_COLUMNS).parquet(path);
    }

    static JavaRDD<Sample<Float>> of(Dataset<Row> rows, JobSettings s) {
        return rows.selectExpr(COLUMNS).toJavaRDD().map(new ToSample(s.model.inputSize(), s.model.inputChannels(), s.mean, s.std));
    }

    private static final class ToSample implements Function<Row, Sample<Float>> {
        private static final long serialVersionUID = 1L;
        private final int size, channels;
        private final float[] mean, std;

        ToSample(int size, int channels, float[] mean, float[] std) {
            this.size = size;
            this.channels = channels;
            this.mean = mean;
            this.std = std;
        }

        @Override
        public Sample<Float> call(Row r) {
            float[] px = ImageCodec.toTensorData(r.getString(2), (byte[]) r.get(1), r.getInt(3), r.getInt(4), r.getInt(5),
                    size, channels, mean, std);
            List<Object> y = r.getList(6);
            return Sample$.MODULE$.apply(BigDL.tensor(px, channels, size, size), BigDL.tensor(labels(y), y.size()), BigDL.FLOAT, BigDL.NUM);
        }
    }

    static float[] labels(List<Object> l) {
        float[] y = new float[l.size()];
        for (int i = 0; i < y.length; i++) y[i] = ((Number) l.get(i)).floatValue();
        return y;
    }
}
