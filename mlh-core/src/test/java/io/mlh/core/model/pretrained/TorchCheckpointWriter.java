package io.mlh.core.model.pretrained;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a state dict of float32 tensors (and int64 scalars) as {@code torch.save} of torch >= 1.6 does: a zip of stored
 * entries {@code <archive>/data.pkl} (a protocol-2 pickle of an OrderedDict whose tensors are {@code
 * torch._utils._rebuild_tensor_v2} calls on persistent-id storages), {@code <archive>/data/<key>} (each
 * tensor's values, little-endian) and {@code <archive>/version}. torch.load reads these files (the fixture
 * generator checks that with PyTorch); the tests make their checkpoints with it, since no pretrained weights
 * can be downloaded and a real ResNet checkpoint is too large to commit.
 */
public final class TorchCheckpointWriter {
    private TorchCheckpointWriter() {}

    /** A tensor to write: C-order values and their shape, float32, or an int64 scalar. */
    public static final class Tensor {
        public final int[] shape;
        /** The float32 values, C order; null for an int64 scalar. */
        public final float[] values;

        final long scalar;

        public Tensor(int[] shape, float[] values) {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != values.length) throw new IllegalArgumentException("shape and values disagree");
            this.shape = shape;
            this.values = values;
            this.scalar = 0;
        }

        private Tensor(long scalar) {
            this.shape = new int[0];
            this.values = null;
            this.scalar = scalar;
        }

        /** An int64 scalar (a batch norm's num_batches_tracked). */
        public static Tensor int64(long value) {
            return new Tensor(value);
        }

        int elements() {
            return values == null ? 1 : values.length;
        }

        byte[] bytes() {
            if (values == null)
                return ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(scalar)
                        .array();
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return b.array();
        }
    }

    public static void write(Path file, String archive, Map<String, Tensor> stateDict) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            stored(zip, archive + "/data.pkl", pickle(stateDict));
            int key = 0;
            for (Tensor t : stateDict.values()) stored(zip, archive + "/data/" + key++, t.bytes());
            stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static byte[] pickle(Map<String, Tensor> stateDict) {
        Pickle p = new Pickle();
        p.op(0x80).op(2); // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R'); // OrderedDict()
        p.op('(');
        int key = 0;
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            Tensor t = e.getValue();
            p.string(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2").op('(');
            p.op('(').string("storage").global("torch", t.values == null ? "LongStorage" : "FloatStorage");
            p.string(Integer.toString(key++))
                    .string("cpu")
                    .integer(t.elements())
                    .op('t')
                    .op('Q'); // by persistent id
            p.integer(0); // storage offset
            p.op('(');
            for (int d : t.shape) p.integer(d);
            p.op('t').op('(');
            for (int d = 0, stride; d < t.shape.length; d++) {
                stride = 1;
                for (int e2 = d + 1; e2 < t.shape.length; e2++) stride *= t.shape[e2];
                p.integer(stride);
            }
            p.op('t').op(0x89); // requires_grad False
            p.global("collections", "OrderedDict").op(')').op('R'); // backward hooks
            p.op('t').op('R');
        }
        p.op('u').op('.');
        return p.bytes.toByteArray();
    }

    /** The few pickle opcodes a state dict takes. */
    private static final class Pickle {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Pickle op(int op) {
            bytes.write(op);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            byte[] b = (module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
            bytes.write(b, 0, b.length);
            return this;
        }

        Pickle string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            bytes.write(
                    ByteBuffer.allocate(4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(b.length)
                            .array(),
                    0,
                    4);
            bytes.write(b, 0, b.length);
            return this;
        }

        Pickle integer(int v) {
            op('J');
            bytes.write(
                    ByteBuffer.allocate(4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(v)
                            .array(),
                    0,
                    4);
            return this;
        }
    }
}
