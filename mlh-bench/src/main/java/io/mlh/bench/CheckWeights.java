package io.mlh.bench;

import com.intel.analytics.bigdl.nn.Graph;
import com.intel.analytics.bigdl.nn.abstractnn.AbstractModule;
import com.intel.analytics.bigdl.nn.abstractnn.Activity;
import com.intel.analytics.bigdl.tensor.Tensor;
import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.config.MlhConfig;
import io.mlh.core.model.MlhNet;
import io.mlh.jobs.images.ImageCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code make check-weights}: a torchvision ResNet checkpoint through the project's loader and backbone,
 * against torchvision's own forward pass of the same images. The images are real JPEGs (CIFAR-10's test
 * set, one a class from the first on) made into 224 px inputs by the project's codec with ImageNet's mean
 * and standard deviation; their floats go to PyTorch as they are, so only the networks differ. Both engines
 * are checked: the plain BigDL graph (mklblas) and its MKL-DNN conversion. Prints the largest absolute and
 * relative (to the largest |feature| of PyTorch's) differences of the pooled features and exits 1 above
 * 1e-4 relative.
 *
 * <p>Arguments: the architecture (resnet-18 / -34 / -50 / -101), the checkpoint (any Hadoop path; empty: one
 * torchvision itself writes, wrapped and with "module." prefixes, its batch-norm statistics spread), the
 * CIFAR-10 JPEG root, a work directory.
 */
public final class CheckWeights {
    private CheckWeights() {}

    static final double TOLERANCE = 1e-4;
    static final int IMAGES = 10, SIZE = 224;
    static final String PYTHON = "mlh-bench/python/torchvision_resnet.py";

    public static void main(String[] args) throws Exception {
        ComputeEngine.select(MlhConfig.Engine.MKLDNN); // before BigDL starts: the plain graph runs on it too
        BigDL.initLocal(Runtime.getRuntime().availableProcessors());
        String arch = args[0], weights = args[1];
        Path cifar = Paths.get(args[2]), work = Files.createDirectories(Paths.get(args[3]));
        if (weights.isEmpty()) {
            weights = work.resolve("torchvision-" + arch + ".pth").toString();
            python("checkpoint", "--arch", arch, "--out", weights, "--wrapped");
            System.out.println("check-weights: no WEIGHTS given; checking " + weights + ", written by torchvision");
        }
        // through the project first: a checkpoint that does not fit is refused with the project's message
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("model.backbone", arch);
        keys.put("model.input-size", SIZE);
        keys.put("model.pretrained", weights);
        MlhConfig c = MlhConfig.defaults().with(keys);
        long t0 = System.nanoTime();
        Graph<Float> net = MlhNet.features(c);
        System.out.printf(
                Locale.ROOT,
                "check-weights: %s loaded as %s in %.1f s%n",
                weights,
                arch,
                (System.nanoTime() - t0) / 1e9);
        float[] inputs = inputs(cifar);
        Path in = work.resolve("inputs.f32"), out = work.resolve("torchvision.f32");
        Files.write(in, bytes(inputs));
        python(
                "features",
                "--arch",
                arch,
                "--weights",
                local(weights, work).toString(),
                "--inputs",
                in.toString(),
                "--images",
                Integer.toString(IMAGES),
                "--out",
                out.toString());
        float[] want = floats(Files.readAllBytes(out));
        System.out.printf("check-weights: %d images, %d features each%n", IMAGES, want.length / IMAGES);
        net.evaluate();
        Tensor<Float> x = BigDL.tensor(inputs, IMAGES, 3, SIZE, SIZE);
        boolean ok = compare("mklblas", want, forward(net, x));
        AbstractModule<Activity, Activity, Float> dnn = ComputeEngine.toMklDnn(ComputeEngine.forMklDnn(net));
        dnn.evaluate();
        ok &= compare("mkldnn", want, forward(dnn, x));
        if (!ok) {
            System.out.printf(Locale.ROOT, "check-weights: FAILED, above %.0e relative%n", TOLERANCE);
            System.exit(1);
        }
        System.out.printf(Locale.ROOT, "check-weights: OK, both engines within %.0e relative of PyTorch%n", TOLERANCE);
    }

    /** One image a class, 224 px RGB, normalised with ImageNet's statistics by the project's own codec. */
    static float[] inputs(Path cifar) throws Exception {
        List<Path> classes;
        try (Stream<Path> s = Files.list(cifar.resolve("test"))) {
            classes = s.sorted().collect(Collectors.toList());
        }
        float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
        int per = 3 * SIZE * SIZE;
        float[] x = new float[IMAGES * per];
        for (int i = 0; i < IMAGES; i++) {
            Path jpeg;
            try (Stream<Path> s = Files.list(classes.get(i % classes.size()))) {
                jpeg = s.sorted().skip(i / classes.size()).findFirst().get();
            }
            byte[] b = Files.readAllBytes(jpeg);
            ImageCodec.Shape shape = ImageCodec.inspect("jpeg", b);
            float[] one =
                    ImageCodec.toTensorData("jpeg", b, shape.height, shape.width, shape.channels, SIZE, 3, mean, std);
            System.arraycopy(one, 0, x, i * per, per);
        }
        return x;
    }

    /** Forward passes of two images at a time (BigDL keeps every layer's output for the whole batch). */
    static float[] forward(AbstractModule<Activity, Activity, Float> net, Tensor<Float> x) {
        List<float[]> rows = new ArrayList<>();
        for (int from = 1; from <= IMAGES; from += 2) {
            Tensor<Float> y = (Tensor<Float>) net.forward(
                    x.narrow(1, from, Math.min(2, IMAGES - from + 1)).clone());
            rows.add(BigDL.toArray(y));
        }
        int n = rows.stream().mapToInt(r -> r.length).sum(), at = 0;
        float[] out = new float[n];
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    static boolean compare(String engine, float[] want, float[] got) {
        if (want.length != got.length) {
            System.out.printf("  %-8s %d features against PyTorch's %d%n", engine, got.length, want.length);
            return false;
        }
        double scale = 0, worst = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        double relative = worst / Math.max(scale, Float.MIN_NORMAL);
        System.out.printf(
                Locale.ROOT,
                "  %-8s largest |difference| %.3e, relative %.3e (largest |feature| %.4g)%s%n",
                engine,
                worst,
                relative,
                scale,
                relative <= TOLERANCE ? "" : "  <-- above " + TOLERANCE);
        return relative <= TOLERANCE;
    }

    /** A local copy of the checkpoint for PyTorch (the project reads it from its Hadoop path itself). */
    static Path local(String weights, Path work) throws Exception {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(weights);
        String scheme = p.toUri().getScheme();
        if (scheme == null || scheme.equals("file")) return Paths.get(p.toUri().getPath());
        Path copy = work.resolve(p.getName());
        p.getFileSystem(new Configuration()).copyToLocalFile(p, new org.apache.hadoop.fs.Path(copy.toUri()));
        return copy;
    }

    static void python(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(Arrays.asList("/usr/bin/python3", PYTHON));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) throw new IllegalStateException("PyTorch failed: " + String.join(" ", cmd));
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] floats(byte[] le) {
        float[] v = new float[le.length / 4];
        ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
