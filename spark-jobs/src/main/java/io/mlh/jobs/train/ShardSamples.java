package io.mlh.jobs.train;

import com.intel.analytics.bigdl.dataset.Sample;
import io.mlh.core.bigdl.BigDL;
import io.mlh.jobs.images.Framing;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Shard-table rows to BigDL samples: decoding, normalisation and augmentation happen on the executors.
 */
public final class ShardSamples {
    private ShardSamples() {}

    static final String[] COLUMNS = {"id", "image", "format", "height", "width", "channels", "labels"};

    public static JavaRDD<Sample<Float>> of(Dataset<Row> rows, Framing framing) {
        return of(rows, framing, new Augmentation(false, 0, 0, 0));
    }

    /** The samples of one epoch, augmented as drawn for that epoch. */
    public static JavaRDD<Sample<Float>> of(Dataset<Row> rows, Framing framing, Augmentation augmentation) {
        return rows.selectExpr(COLUMNS).toJavaRDD().map(new ToSample(framing, augmentation));
    }

    private static final class ToSample implements Function<Row, Sample<Float>> {
        private static final long serialVersionUID = 1L;
        private final Framing framing;
        private final Augmentation augmentation;

        ToSample(Framing framing, Augmentation augmentation) {
            this.framing = framing;
            this.augmentation = augmentation;
        }

        @Override
        public Sample<Float> call(Row r) {
            long id = r.<Long>getAs("id");
            float[] px =
                    framing.pixels(r, augmentation.crop(r.<Integer>getAs("height"), r.<Integer>getAs("width"), id));
            px = augmentation.apply(px, framing.channels, framing.size, id);
            float[] y = labels(r);
            int size = framing.size;
            return BigDL.sample(BigDL.tensor(px, framing.channels, size, size), BigDL.tensor(y, y.length));
        }
    }

    /** A row's multi-hot {@code labels} column as floats. */
    static float[] labels(Row r) {
        List<Object> l = r.getList(r.fieldIndex("labels"));
        float[] y = new float[l.size()];
        for (int i = 0; i < y.length; i++) y[i] = ((Number) l.get(i)).floatValue();
        return y;
    }
}
