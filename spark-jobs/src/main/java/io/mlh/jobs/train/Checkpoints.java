package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import io.mlh.jobs.common.BigDLFiles;
import io.mlh.jobs.common.CommittedOutput;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Per-epoch checkpoints under one Hadoop directory: {@code epoch-<N>/} with the model in BigDL's
 * protobuf format and the optimiser's state (its moments, epoch and iteration counters), each
 * committed atomically, so the newest committed one is always complete.
 */
final class Checkpoints {
    final String dir;
    private final Configuration conf;

    Checkpoints(Configuration conf, String dir) {
        this.conf = conf;
        this.dir = dir;
    }

    static final class State {
        final int epoch;
        final AbstractModule<Activity, Activity, Float> net;
        final OptimMethod<Float> optim;

        State(int epoch, AbstractModule<Activity, Activity, Float> net, OptimMethod<Float> optim) {
            this.epoch = epoch;
            this.net = net;
            this.optim = optim;
        }
    }

    void save(int epoch, AbstractModule<Activity, Activity, Float> net, OptimMethod<Float> optim) throws IOException {
        String target = new Path(dir, "epoch-" + epoch).toString();
        Path staging = CommittedOutput.stage(conf, target, true);
        try {
            BigDLFiles.saveModule(conf, net, new Path(staging, "model.bigdl"));
            BigDLFiles.saveOptimMethod(conf, optim, new Path(staging, "optim.state"));
            CommittedOutput.commit(conf, staging, target);
        } catch (IOException | RuntimeException e) {
            CommittedOutput.abandon(conf, staging);
            throw e;
        }
    }

    /** The newest committed checkpoint, or null when there is none. */
    State latest() throws IOException {
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(root)) return null;
        int best = 0;
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            if (name.matches("epoch-\\d+") && fs.exists(new Path(st.getPath(), CommittedOutput.MARKER))) {
                best = Math.max(best, Integer.parseInt(name.substring(6)));
            }
        }
        if (best == 0) return null;
        Path p = new Path(root, "epoch-" + best);
        AbstractModule<Activity, Activity, Float> net = BigDLFiles.loadModule(conf, new Path(p, "model.bigdl"), null);
        OptimMethod<Float> optim = BigDLFiles.loadOptimMethod(conf, new Path(p, "optim.state"));
        return new State(best, net, optim);
    }
}
