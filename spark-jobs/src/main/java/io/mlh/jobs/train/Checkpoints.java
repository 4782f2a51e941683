package io.mlh.jobs.train;

import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.optim.OptimMethod;
import io.mlh.jobs.common.BigDLFiles;
import io.mlh.jobs.common.CommittedOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Per-epoch checkpoints under one Hadoop directory: {@code epoch-<N>/} with the model in BigDL's
 * protobuf format, the optimiser's state (its moments, epoch and iteration counters) and
 * {@code SHA256SUMS} of both, each committed atomically, so the newest committed one is always
 * complete. {@code epoch-0} holds the initial weights. BigDL writes the optimiser's state with Java
 * serialisation; it is read back only when its bytes match the checksum the writing job recorded.
 */
final class Checkpoints {
    static final String MODEL = "model.bigdl", OPTIM = "optim.state", SUMS = "SHA256SUMS";
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
        CommittedOutput.write(conf, target, true, staging -> {
            String model = BigDLFiles.saveModule(conf, net, new Path(staging, MODEL));
            String state = BigDLFiles.saveOptimMethod(conf, optim, new Path(staging, OPTIM));
            try (OutputStream out = staging.getFileSystem(conf).create(new Path(staging, SUMS), true)) {
                out.write((model + "  " + MODEL + "\n" + state + "  " + OPTIM + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
            }
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

    /** The committed checkpoint of {@code epoch}, each file checked against its recorded SHA-256 before it is read. */
    State load(int epoch) throws IOException {
        Path p = CommittedOutput.requireCommitted(conf, new Path(dir, "epoch-" + epoch).toString());
        Map<String, String> sums = sums(new Path(p, SUMS));
        AbstractModule<Activity, Activity, Float> net =
                BigDLFiles.loadModule(conf, new Path(p, MODEL), sums.get(MODEL));
        OptimMethod<Float> optim = BigDLFiles.loadOptimMethod(conf, new Path(p, OPTIM), sums.get(OPTIM));
        return new State(epoch, net, optim);
    }

    /** {@code sha256sum}'s format: "<hex>  <file>" a line; both files must be listed. */
    private Map<String, String> sums(Path file) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        if (!fs.exists(file))
            throw new IOException("checkpoint file " + file + " is missing: the checkpoint cannot be trusted");
        Map<String, String> sums = new HashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) sums.put(f[1], f[0]);
            }
        }
        for (String name : new String[] {MODEL, OPTIM}) {
            if (!sums.containsKey(name))
                throw new IOException(file + " has no checksum of " + name + ": the checkpoint cannot be trusted");
        }
        return sums;
    }
}
