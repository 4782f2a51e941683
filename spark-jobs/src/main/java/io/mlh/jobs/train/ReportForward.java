package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import com.intel.analytics.bigdl.utils.Table;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.inference.ExecutorInference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * A partition's (position, row) pairs -> (position, {u_c followed by u_p, then for a probe row the row
 * of each MoH term layer's input}), a batch at a time.
 */
final class ReportForward implements PairFlatMapFunction<Iterator<Tuple2<Long, Row>>, Long, float[][]> {
    private static final long serialVersionUID = 1L;
    private final ExecutorInference inference;
    private final int probe;
    private final List<MixtureOfHashExperts.Term> moh;

    ReportForward(ExecutorInference inference, int probe, List<MixtureOfHashExperts.Term> moh) {
        this.inference = inference;
        this.probe = probe;
        this.moh = moh;
    }

    @Override
    public Iterator<Tuple2<Long, float[][]>> call(Iterator<Tuple2<Long, Row>> part) {
        List<Tuple2<Long, float[][]>> out = new ArrayList<>();
        if (!part.hasNext()) return out.iterator();
        AbstractModule<Activity, Activity, Float> net = inference.net();
        List<Long> at = new ArrayList<>();
        List<Row> batch = new ArrayList<>();
        while (part.hasNext()) {
            Tuple2<Long, Row> t = part.next();
            at.add(t._1());
            batch.add(t._2());
            if (batch.size() == inference.batch || !part.hasNext()) {
                Table o = inference.forward(net, batch);
                float[] uc = ExecutorInference.firstRows(MlhNet.centre(o), batch.size());
                float[] up = ExecutorInference.firstRows(MlhNet.pairwise(o), batch.size());
                float[][] termInputs = new float[moh.size()][];
                for (int k = 0; k < moh.size(); k++) {
                    Tensor<Float> in = BigDL.layerOutput(net, moh.get(k).layer);
                    if (in == null) throw new IllegalStateException("the network has no layer " + moh.get(k).layer);
                    termInputs[k] = ExecutorInference.firstRows(in, batch.size());
                }
                int bits = uc.length / batch.size();
                for (int i = 0; i < batch.size(); i++) {
                    boolean probeRow = at.get(i) < probe;
                    float[][] row = new float[probeRow ? 1 + moh.size() : 1][];
                    row[0] = new float[2 * bits];
                    System.arraycopy(uc, i * bits, row[0], 0, bits);
                    System.arraycopy(up, i * bits, row[0], bits, bits);
                    for (int k = 0; probeRow && k < moh.size(); k++) {
                        int per = termInputs[k].length / batch.size();
                        row[1 + k] = Arrays.copyOfRange(termInputs[k], i * per, (i + 1) * per);
                    }
                    out.add(new Tuple2<>(at.get(i), row));
                }
                at.clear();
                batch.clear();
            }
        }
        return out.iterator();
    }
}
