package io.mlh.core.model.pretrained;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Random;

/**
 * PyTorch's features of {@link RandomResNetCheckpoint}'s resnet-18 and resnet-50 on two seeded input images,
 * committed under {@code src/test/resources/pretrained/} (2 x 512 and 2 x 2048 float32): the oracle the
 * checkpoint test holds the project's backbone to without PyTorch at hand. {@code make weights-fixture} makes
 * them again: this class's {@code main} writes the checkpoints and the inputs, and torchvision (Debian's
 * python3-torchvision, {@code mlh-bench/python/torchvision_resnet.py}) loads the checkpoints strictly into
 * its own models and computes the features.
 */
public final class ResNetFixture {
    private ResNetFixture() {}

    public static final int IMAGES = 2, SIZE = 224;
    public static final int[] DEPTHS = {18, 50};
    private static final long INPUT_SEED = 2025;

    /** The checkpoint's seed: its depth. */
    public static long seed(int depth) {
        return depth;
    }

    /** The inputs, IMAGES x 3 x 224 x 224 standard normal values (normalised pixels), C order. */
    public static float[] inputs() {
        Random r = new Random(INPUT_SEED);
        float[] x = new float[IMAGES * 3 * SIZE * SIZE];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** PyTorch's features of resnet-{@code depth}: IMAGES rows, C order. */
    public static float[] expected(int depth) throws IOException {
        try (InputStream in = ResNetFixture.class.getResourceAsStream(resource(depth))) {
            if (in == null) throw new IOException("no fixture " + resource(depth) + ": run make weights-fixture");
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[1 << 14];
            for (int n; (n = in.read(buf)) > 0; ) b.write(buf, 0, n);
            return floats(b.toByteArray());
        }
    }

    static String resource(int depth) {
        return "/pretrained/resnet" + depth + "-features.f32";
    }

    static float[] floats(byte[] le) {
        float[] v = new float[le.length / 4];
        ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    /** args: a work directory, the test resources root (the features go to its pretrained/), the python script. */
    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Paths.get(args[0])), resources = Paths.get(args[1]);
        Path inputs = work.resolve("inputs.f32");
        Files.write(inputs, bytes(inputs()));
        for (int depth : DEPTHS) {
            Path checkpoint = work.resolve("resnet" + depth + ".pth"), out = work.resolve("resnet" + depth + ".f32");
            RandomResNetCheckpoint.write(checkpoint, depth, seed(depth));
            Process p = new ProcessBuilder(
                            "/usr/bin/python3",
                            args[2],
                            "features",
                            "--arch",
                            "resnet-" + depth,
                            "--weights",
                            checkpoint.toString(),
                            "--inputs",
                            inputs.toString(),
                            "--images",
                            Integer.toString(IMAGES),
                            "--out",
                            out.toString())
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0) throw new IllegalStateException("PyTorch failed on resnet-" + depth);
            Path target = resources.resolve(resource(depth).substring(1));
            Files.createDirectories(target.getParent());
            Files.copy(out, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            float[] f = floats(Files.readAllBytes(out));
            System.out.printf(
                    "resnet-%d: %d features, first %s, max |f| %.4g%n",
                    depth, f.length, Arrays.toString(Arrays.copyOf(f, 3)), maxAbs(f));
        }
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
