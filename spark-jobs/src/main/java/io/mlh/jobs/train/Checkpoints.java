package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import io.mlh.jobs.common.BigDLFiles;
import io.mlh.jobs.common.CommittedOutput;
import io.mlh.jobs.common.Manifest;
import io.mlh.jobs.common.OutputClaim;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Per-epoch checkpoints under one Hadoop directory: {@code epoch-<N>/} with the model in BigDL's
 * protobuf format and the optimiser's state (its moments, epoch and iteration counters), each
 * committed atomically with its manifest, so the newest committed one is always complete.
 * {@code epoch-0} holds the initial weights. BigDL writes the optimiser's state with Java
 * serialisation; both files are read back only when their bytes match the SHA-256 the manifest
 * recorded at the commit.
 */
final class Checkpoints {
    static final String MODEL = "model.bigdl", OPTIM = "optim.state";
    final String dir;
    private final Configuration conf;
    private final OutputClaim.Terms claim;

    Checkpoints(Configuration conf, String dir, OutputClaim.Terms claim) {
        this.conf = conf;
        this.dir = dir;
        this.claim = claim;
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
        CommittedOutput.write(conf, target, true, claim, staging -> {
            BigDLFiles.saveModule(conf, net, new Path(staging, MODEL));
            BigDLFiles.saveOptimMethod(conf, optim, new Path(staging, OPTIM));
            return null;
        });
    }

    /** The newest committed checkpoint, or null when there is none. */
    State latest() throws IOException {
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(root)) return null;
        int best = -1;
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            if (name.matches("epoch-\\d+") && fs.exists(new Path(st.getPath(), CommittedOutput.MARKER))) {
                best = Math.max(best, Integer.parseInt(name.substring(6)));
            }
        }
        return best < 0 ? null : load(best);
    }

    /** The committed checkpoint of {@code epoch}, each file checked against its SHA-256 in the manifest before it is read. */
    State load(int epoch) throws IOException {
        String p = new Path(dir, "epoch-" + epoch).toString();
        Manifest files = CommittedOutput.verified(conf, p);
        AbstractModule<Activity, Activity, Float> net =
                BigDLFiles.loadModule(conf, new Path(p, MODEL), files.sha256(MODEL));
        OptimMethod<Float> optim = BigDLFiles.loadOptimMethod(conf, new Path(p, OPTIM), files.sha256(OPTIM));
        return new State(epoch, net, optim);
    }
}
