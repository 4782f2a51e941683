package io.mlh.core.model.pretrained;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A torchvision ResNet state dict with seeded random weights, in torchvision's key order (classifier
 * {@code fc} and {@code num_batches_tracked} included), spelt out here from torchvision's definition rather
 * than from the project's builder. Its batch norms are far from fresh: running variances log-uniform in
 * [1e-4, 2], running means off zero, scales and shifts other than 1 and 0, so that eps, the statistics and
 * the affine terms all change the features. Each scale is drawn relative to the square root of its
 * running variance, which keeps activations of a 101-layer net within float range.
 */
public final class RandomResNetCheckpoint {
    private RandomResNetCheckpoint() {}

    public static Map<String, TorchCheckpointWriter.Tensor> stateDict(int depth, long seed) {
        return stateDict(depth, seed, true);
    }

    /**
     * With {@code spread} false the batch norms are as a trained net's would be for standardised inputs
     * (means 0, variances 1, scales near 1, shifts near 0): a start that trains like a real checkpoint,
     * where spread statistics with their small scales leave little signal in the training mode.
     */
    public static Map<String, TorchCheckpointWriter.Tensor> stateDict(int depth, long seed, boolean spread) {
        Random r = new Random(seed);
        Map<String, TorchCheckpointWriter.Tensor> sd = new LinkedHashMap<>();
        conv(sd, r, "conv1", 64, 3, 7);
        bn(sd, r, "bn1", 64, spread);
        boolean bottleneck = depth >= 50;
        int[] blocks = depth == 18
                ? new int[] {2, 2, 2, 2}
                : depth == 34 || depth == 50 ? new int[] {3, 4, 6, 3} : new int[] {3, 4, 23, 3};
        int in = 64;
        for (int stage = 0, planes = 64; stage < 4; stage++, planes *= 2) {
            for (int b = 0; b < blocks[stage]; b++) {
                String n = "layer" + (stage + 1) + "." + b;
                int stride = stage > 0 && b == 0 ? 2 : 1, out = bottleneck ? planes * 4 : planes;
                if (bottleneck) {
                    conv(sd, r, n + ".conv1", planes, in, 1);
                    bn(sd, r, n + ".bn1", planes, spread);
                    conv(sd, r, n + ".conv2", planes, planes, 3);
                    bn(sd, r, n + ".bn2", planes, spread);
                    conv(sd, r, n + ".conv3", out, planes, 1);
                    bn(sd, r, n + ".bn3", out, spread);
                } else {
                    conv(sd, r, n + ".conv1", planes, in, 3);
                    bn(sd, r, n + ".bn1", planes, spread);
                    conv(sd, r, n + ".conv2", planes, planes, 3);
                    bn(sd, r, n + ".bn2", planes, spread);
                }
                if (stride != 1 || in != out) {
                    conv(sd, r, n + ".downsample.0", out, in, 1);
                    bn(sd, r, n + ".downsample.1", out, spread);
                }
                in = out;
            }
        }
        sd.put("fc.weight", new TorchCheckpointWriter.Tensor(new int[] {1000, in}, gaussian(r, 1000 * in, 0.01)));
        sd.put("fc.bias", new TorchCheckpointWriter.Tensor(new int[] {1000}, new float[1000]));
        return sd;
    }

    public static void write(Path file, int depth, long seed) throws IOException {
        TorchCheckpointWriter.write(file, "resnet" + depth, stateDict(depth, seed));
    }

    /** He-normal with the fan-out, as torchvision initialises its convolutions. */
    private static void conv(
            Map<String, TorchCheckpointWriter.Tensor> sd, Random r, String name, int out, int in, int k) {
        sd.put(
                name + ".weight",
                new TorchCheckpointWriter.Tensor(
                        new int[] {out, in, k, k}, gaussian(r, out * in * k * k, Math.sqrt(2.0 / (out * k * k)))));
    }

    private static void bn(Map<String, TorchCheckpointWriter.Tensor> sd, Random r, String name, int c, boolean spread) {
        float[] gamma = new float[c], beta = new float[c], mean = new float[c], var = new float[c];
        for (int i = 0; i < c; i++) {
            if (spread) {
                var[i] = (float) Math.pow(10, -4 + r.nextDouble() * Math.log10(2e4)); // 1e-4 .. 2
                mean[i] = (float) (0.3 * r.nextGaussian());
                gamma[i] = (float) ((0.4 + 0.6 * r.nextDouble()) * Math.sqrt(var[i] + 1e-5));
            } else {
                var[i] = 1;
                gamma[i] = (float) (0.8 + 0.4 * r.nextDouble());
            }
            beta[i] = (float) (0.1 * r.nextGaussian());
        }
        sd.put(name + ".weight", new TorchCheckpointWriter.Tensor(new int[] {c}, gamma));
        sd.put(name + ".bias", new TorchCheckpointWriter.Tensor(new int[] {c}, beta));
        sd.put(name + ".running_mean", new TorchCheckpointWriter.Tensor(new int[] {c}, mean));
        sd.put(name + ".running_var", new TorchCheckpointWriter.Tensor(new int[] {c}, var));
        sd.put(name + ".num_batches_tracked", TorchCheckpointWriter.Tensor.int64(1000));
    }

    private static float[] gaussian(Random r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (sd * r.nextGaussian());
        return v;
    }
}
