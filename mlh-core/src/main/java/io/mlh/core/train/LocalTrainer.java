package io.mlh.core.train;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.centres.HashCentres;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.data.LabelledImages;
import io.mlh.core.loss.LossTerms;
import io.mlh.core.loss.MlhCriterion;
import io.mlh.core.model.MixtureOfHashExperts;
import io.mlh.core.model.MlhNet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.log4j.Logger;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

/**
 * Trains an MLH network in this JVM with BigDL (no Spark): seeded shuffles, mini-batch steps of the
 * MLH criterion, the configured BigDL optimisation method. BigDL's layers spread each batch over the
 * engine's threads. The distributed trainer in spark-jobs runs the same net and criterion.
 */
public final class LocalTrainer {
    private static final Logger LOG = Logger.getLogger(LocalTrainer.class);

    private final MlhConfig config;
    private final HashCentres centres;

    public LocalTrainer(MlhConfig config, HashCentres centres) {
        this.config = config;
        this.centres = centres;
    }

    /** What one epoch did: the mean of its steps' loss terms (the MoH's too, where weighted) and its throughput. */
    public static final class EpochReport {
        public final int epoch;
        public final LossTerms terms;
        public final double imagesPerSecond;

        EpochReport(int epoch, LossTerms terms, double imagesPerSecond) {
            this.epoch = epoch;
            this.terms = terms;
            this.imagesPerSecond = imagesPerSecond;
        }

        @Override
        public String toString() {
            return String.format("epoch %d: %s, %.1f img/s", epoch, terms.values(), imagesPerSecond);
        }
    }

    public Graph<Float> train(LabelledImages data, Consumer<EpochReport> onEpoch) {
        Graph<Float> net = MlhNet.build(config);
        train(net, data, onEpoch);
        return net;
    }

    /**
     * Trains {@code net} in place. On the MKL-DNN engine ({@code train.engine = mkldnn}, selected
     * before BigDL started) BigDL's MKL-DNN form of the graph trains and its weights are copied back.
     */
    public void train(Graph<Float> net, LabelledImages data, Consumer<EpochReport> onEpoch) {
        ComputeEngine.select(config.engine());
        AbstractModule<Activity, Activity, Float> model =
                config.engine() == MlhConfig.Engine.MKLDNN ? ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net)) : net;
        trainModel(model, data, onEpoch);
        if (model != net) ComputeEngine.copyTrainedState(model, net);
        net.evaluate();
    }

    private void trainModel(
            AbstractModule<Activity, Activity, Float> net, LabelledImages data, Consumer<EpochReport> onEpoch) {
        int batch = Math.min(config.batchSize(), data.size());
        int steps = data.size() / batch; // the ragged tail is left out of each epoch, as BigDL's samplers do
        if (steps == 0 || batch < 2)
            throw new IllegalArgumentException("need at least 2 training images, got " + data.size());
        MlhCriterion criterion = new MlhCriterion(config, centres, steps);
        OptimMethod<Float> optim = Optimizers.create(config, steps);
        Tuple2<Tensor<Float>, Tensor<Float>> params = net.getParameters();
        Tensor<Float> weights = params._1(), grads = params._2();
        List<MixtureOfHashExperts.Term> moh =
                MixtureOfHashExperts.terms(MixtureOfHashExperts.Spec.of(config), config.bits());
        Random shuffle = new Random(config.seed());
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;

        net.training();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            shuffle(order, shuffle);
            TermMeans means = new TermMeans();
            long start = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                int[] idx = java.util.Arrays.copyOfRange(order, s * batch, (s + 1) * batch);
                Tensor<Float> x = images(data, idx), y = labels(data, idx);
                net.zeroGradParameters();
                Activity out = net.forward(x);
                float loss = criterion.forward(out.toTable(), y);
                net.backward(x, criterion.backward(out.toTable(), y));
                optim.state().update("epoch", epoch + 1); // what BigDL's optimisers set: the schedule reads them
                optim.state().update("neval", epoch * steps + s + 1);
                optim.optimize(new Objective(loss, grads), weights);
                means.add(criterion.lastTerms().withMoh(mohTerms(net, moh, batch)));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochReport r = new EpochReport(epoch + 1, means.mean((long) (epoch + 1) * steps), steps * batch / seconds);
            LOG.info(r);
            if (onEpoch != null) onEpoch.accept(r);
        }
    }

    /** BigDL's optimisers take the loss and gradient as a function of the weights: already computed here. */
    private static final class Objective extends AbstractFunction1<Tensor<Float>, Tuple2<Float, Tensor<Float>>> {
        private final Tuple2<Float, Tensor<Float>> result;

        Objective(float loss, Tensor<Float> grads) {
            this.result = new Tuple2<>(loss, grads);
        }

        @Override
        public Tuple2<Float, Tensor<Float>> apply(Tensor<Float> weights) {
            return result;
        }
    }

    static Tensor<Float> images(LabelledImages data, int[] idx) {
        int per = data.imageSize();
        float[] px = new float[idx.length * per];
        for (int i = 0; i < idx.length; i++) System.arraycopy(data.pixels, idx[i] * per, px, i * per, per);
        return BigDL.tensor(px, idx.length, data.channels, data.height, data.width);
    }

    static Tensor<Float> labels(LabelledImages data, int[] idx) {
        int c = data.classes();
        float[] y = new float[idx.length * c];
        for (int i = 0; i < idx.length; i++) System.arraycopy(data.labels[idx[i]], 0, y, i * c, c);
        return BigDL.tensor(y, idx.length, c);
    }

    /** The MoH's balance and diversity terms on this step's batch, from their layers' inputs. */
    private static Map<String, Double> mohTerms(
            AbstractModule<Activity, Activity, Float> net, List<MixtureOfHashExperts.Term> moh, int batch) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (MixtureOfHashExperts.Term t : moh) {
            Tensor<Float> in = BigDL.layerOutput(net, t.layer);
            if (in == null) throw new IllegalStateException("the network has no layer " + t.layer);
            values.put(t.label, t.value(BigDL.toArray(in), batch));
        }
        return values;
    }

    /** Running means of the steps' loss terms, each over the steps where it trained (it is NaN elsewhere). */
    private static final class TermMeans {
        private final Mean centre = new Mean(), pairwise = new Mean(), mutual = new Mean(), total = new Mean();
        private final Map<String, Mean> moh = new LinkedHashMap<>();

        void add(LossTerms t) {
            centre.add(t.centre);
            pairwise.add(t.pairwise);
            mutual.add(t.mutual);
            total.add(t.total);
            t.moh.forEach(
                    (label, v) -> moh.computeIfAbsent(label, k -> new Mean()).add(v));
        }

        LossTerms mean(long step) {
            Map<String, Double> mohMeans = new LinkedHashMap<>();
            moh.forEach((label, m) -> mohMeans.put(label, m.value()));
            return new LossTerms(step, centre.value(), pairwise.value(), mutual.value(), total.value())
                    .withMoh(mohMeans);
        }
    }

    private static final class Mean {
        private double sum;
        private long count;

        void add(double v) {
            if (Double.isNaN(v)) return;
            sum += v;
            count++;
        }

        double value() {
            return count == 0 ? Double.NaN : sum / count;
        }
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
