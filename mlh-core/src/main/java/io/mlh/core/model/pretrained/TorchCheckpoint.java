package io.mlh.core.model.pretrained;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The state dict of a PyTorch checkpoint in the zip format of {@code torch.save} (torch 1.6 and later),
 * read in Java from any Hadoop path: {@code <archive>/data.pkl} is a pickle whose tensors point, by
 * persistent id, at raw little-endian storages {@code <archive>/data/<key>}. Takes a bare state dict
 * ({@code torch.save(model.state_dict(), f)}) or one wrapped as {@code {"state_dict": ...}}, {@code
 * {"model": ...}} or {@code {"model_state_dict": ...}} beside other entries; a {@code module.} prefix on
 * every key (data-parallel training) is removed. The pickle is read as data: nothing in the file is run.
 */
public final class TorchCheckpoint {
    private TorchCheckpoint() {}

    /** Where a wrapped checkpoint keeps its state dict, in the order looked for. */
    static final String[] WRAPPERS = {"state_dict", "model_state_dict", "model"};

    /** Element sizes in bytes of torch's storage types, by name without "Storage". */
    private static final Map<String, Integer> ELEMENT_BYTES = new HashMap<>();

    static {
        String[] types = {"Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool"};
        int[] bytes = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1};
        for (int i = 0; i < types.length; i++) ELEMENT_BYTES.put(types[i], bytes[i]);
    }

    /** Whether the file starts as a zip archive does (a torch >= 1.6 checkpoint, or another zip). */
    public static boolean looksLikeZip(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            byte[] head = new byte[4];
            return in.read(head) == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        }
    }

    /** The checkpoint's state dict, in the file's order; an IOException says what is wrong with the file. */
    public static Map<String, TorchTensor> stateDict(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        FileSystem raw = fs instanceof LocalFileSystem ? ((LocalFileSystem) fs).getRaw() : fs;
        if (raw instanceof org.apache.hadoop.fs.RawLocalFileSystem) {
            return stateDict(((org.apache.hadoop.fs.RawLocalFileSystem) raw).pathToFile(p), path);
        }
        File local = File.createTempFile("mlh-checkpoint-", ".pth"); // a zip is read from its end: copy it here
        try {
            try (InputStream in = fs.open(p)) {
                Files.copy(in, local.toPath(), StandardCopyOption.REPLACE_EXISTING);
            }
            return stateDict(local, path);
        } finally {
            Files.deleteIfExists(local.toPath());
        }
    }

    static Map<String, TorchTensor> stateDict(File file, String name) throws IOException {
        if (!file.isFile()) throw new IOException("checkpoint " + name + " does not exist");
        ZipFile zip;
        try {
            zip = new ZipFile(file);
        } catch (ZipException e) {
            throw new IOException("checkpoint " + name + " is not a PyTorch checkpoint: " + notZip(file), e);
        }
        try {
            return new Reader(zip, name).stateDict();
        } finally {
            zip.close();
        }
    }

    /** Why a file that is not a whole zip archive is refused. */
    private static String notZip(File file) throws IOException {
        byte[] head = new byte[2];
        try (InputStream in = Files.newInputStream(file.toPath())) {
            int n = in.read(head);
            if (n == 2 && head[0] == 'P' && head[1] == 'K')
                return "its zip archive has no end (the file is truncated: copy it again)";
            if (n >= 1 && (head[0] & 0xff) == 0x80)
                return "it is in torch's legacy format (torch < 1.6); re-save it with a newer torch:"
                        + " torch.save(torch.load(f), g)";
        }
        return "it is not a zip archive (torch.save of torch >= 1.6 writes one)";
    }

    /** One archive being read: its entries, and the storages already decoded, by key. */
    private static final class Reader {
        private final ZipFile zip;
        private final String name, prefix;
        private final ByteOrder order;
        private final Map<String, ByteBuffer> storages = new HashMap<>();

        Reader(ZipFile zip, String name) throws IOException {
            this.zip = zip;
            this.name = name;
            String pickle = null;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                String entry = e.nextElement().getName();
                if (entry.endsWith("/data.pkl") && entry.indexOf('/') == entry.length() - 9) pickle = entry;
                if (entry.endsWith("/constants.pkl"))
                    throw new IOException("checkpoint " + name + " is a TorchScript archive (torch.jit.save), not a"
                            + " state dict: save model.state_dict() with torch.save");
            }
            if (pickle == null)
                throw new IOException("checkpoint " + name + " is a zip archive but not a PyTorch checkpoint: no"
                        + " <archive>/data.pkl in it");
            prefix = pickle.substring(0, pickle.length() - "data.pkl".length());
            ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
            order = byteOrder != null
                            && new String(read(byteOrder), StandardCharsets.US_ASCII)
                                    .trim()
                                    .equals("big")
                    ? ByteOrder.BIG_ENDIAN
                    : ByteOrder.LITTLE_ENDIAN;
        }

        Map<String, TorchTensor> stateDict() throws IOException {
            Object top;
            try {
                top = Unpickler.load(read(zip.getEntry(prefix + "data.pkl")), this::storage, this::rebuild);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            Map<?, ?> dict = unwrap(top);
            boolean parallel = !dict.isEmpty();
            for (Object k : dict.keySet()) parallel &= k instanceof String && ((String) k).startsWith("module.");
            Map<String, TorchTensor> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                if (!(e.getKey() instanceof String))
                    throw new IOException("checkpoint " + name + ": a state dict key is not a string: " + e.getKey());
                String key = parallel ? ((String) e.getKey()).substring("module.".length()) : (String) e.getKey();
                if (!(e.getValue() instanceof TorchTensor))
                    throw new IOException(
                            "checkpoint " + name + ": " + key + " is not a dense tensor but " + describe(e.getValue()));
                out.put(key, (TorchTensor) e.getValue());
            }
            return out;
        }

        /** The state dict inside what the pickle holds. */
        private Map<?, ?> unwrap(Object top) throws IOException {
            if (top instanceof Map) {
                Map<?, ?> m = (Map<?, ?>) top;
                if (m.values().stream().anyMatch(v -> v instanceof TorchTensor)) return m;
                for (String w : WRAPPERS) if (m.get(w) instanceof Map) return (Map<?, ?>) m.get(w);
                throw new IOException("checkpoint " + name + " holds no state dict: a dict of " + keysOf(m)
                        + ", none of them tensors, and none of " + String.join(", ", WRAPPERS) + " a dict");
            }
            if (top instanceof Unpickler.Call && ((Unpickler.Call) top).callable instanceof Unpickler.Global)
                throw new IOException("checkpoint " + name + " is a whole pickled " + ((Unpickler.Call) top).callable
                        + " (torch.save(model)), not a state dict: save model.state_dict() instead");
            throw new IOException("checkpoint " + name + " holds " + describe(top) + ", not a state dict");
        }

        /** A persistent id: ('storage', storage type, key, location, size) names one raw storage entry. */
        private Object storage(Object pid) {
            if (!(pid instanceof Unpickler.Tuple) || ((Unpickler.Tuple) pid).size() < 5)
                throw new UncheckedIOException(
                        new IOException("checkpoint " + name + ": persistent id " + pid + " is not a torch storage"));
            Unpickler.Tuple t = (Unpickler.Tuple) pid;
            String type = String.valueOf(t.get(1));
            type = type.substring(type.lastIndexOf('.') + 1).replace("Storage", "");
            if (!ELEMENT_BYTES.containsKey(type))
                throw new UncheckedIOException(new IOException(
                        "checkpoint " + name + ": storage type " + t.get(1) + " is not one this reader knows"));
            return new Storage(type, String.valueOf(t.get(2)), ((Number) t.get(4)).longValue());
        }

        /** torch's tensor and parameter rebuild calls; null for any other call (kept as data). */
        private Object rebuild(Unpickler.Global callable, Unpickler.Tuple args) {
            try {
                if (callable.is("torch._utils._rebuild_tensor_v2") || callable.is("torch._utils._rebuild_tensor"))
                    return tensor(
                            (Storage) args.get(0),
                            ((Number) args.get(1)).longValue(),
                            (Unpickler.Tuple) args.get(2),
                            (Unpickler.Tuple) args.get(3));
                if (callable.is("torch._utils._rebuild_parameter")
                        || callable.is("torch._utils._rebuild_parameter_with_state")) return args.get(0);
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ClassCastException e) {
                throw new UncheckedIOException(
                        new IOException("checkpoint " + name + ": a tensor's arguments are not torch's: " + args));
            }
        }

        private TorchTensor tensor(Storage s, long offset, Unpickler.Tuple size, Unpickler.Tuple stride)
                throws IOException {
            int[] shape = new int[size.size()];
            long[] steps = new long[size.size()];
            long n = 1, last = offset;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = Math.toIntExact(((Number) size.get(d)).longValue());
                steps[d] = ((Number) stride.get(d)).longValue();
                n *= shape[d];
                if (shape[d] > 0) last += (shape[d] - 1) * steps[d];
            }
            if (n > 0 && (offset < 0 || last >= s.size))
                throw new IOException("checkpoint " + name + ": a tensor of shape " + size
                        + " reaches past its storage " + s.key + " of " + s.size + " elements");
            boolean floating = s.type.equals("Float")
                    || s.type.equals("Double")
                    || s.type.equals("Half")
                    || s.type.equals("BFloat16");
            if (!floating) return new TorchTensor(shape, s.type, null);
            ByteBuffer bytes = bytesOf(s);
            float[] values = new float[Math.toIntExact(n)];
            int[] index = new int[shape.length];
            for (int i = 0; i < values.length; i++) {
                long at = offset;
                for (int d = 0; d < shape.length; d++) at += index[d] * steps[d];
                values[i] = element(bytes, s.type, Math.toIntExact(at));
                for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
            }
            return new TorchTensor(shape, s.type, values);
        }

        private ByteBuffer bytesOf(Storage s) throws IOException {
            ByteBuffer b = storages.get(s.key);
            if (b != null) return b;
            ZipEntry entry = zip.getEntry(prefix + "data/" + s.key);
            if (entry == null)
                throw new IOException("checkpoint " + name + ": storage " + s.key + " is missing from the archive");
            byte[] data = read(entry);
            long want = s.size * ELEMENT_BYTES.get(s.type);
            if (data.length < want)
                throw new IOException("checkpoint " + name + ": storage " + s.key + " has " + data.length
                        + " bytes where its " + s.size + " " + s.type + " elements need " + want + " (truncated)");
            b = ByteBuffer.wrap(data).order(order);
            storages.put(s.key, b);
            return b;
        }

        private byte[] read(ZipEntry entry) throws IOException {
            try (InputStream in = zip.getInputStream(entry)) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(
                        (int) Math.max(32, Math.min(Integer.MAX_VALUE - 8, entry.getSize())));
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) > 0; ) out.write(buf, 0, r);
                return out.toByteArray();
            } catch (ZipException | java.io.EOFException e) {
                throw new IOException(
                        "checkpoint " + name + ": entry " + entry.getName() + " cannot be read (" + e.getMessage()
                                + "): the file is damaged or truncated",
                        e);
            }
        }
    }

    private static float element(ByteBuffer b, String type, int i) {
        switch (type) {
            case "Float":
                return b.getFloat(4 * i);
            case "Double":
                return (float) b.getDouble(8 * i);
            case "Half":
                return halfToFloat(b.getShort(2 * i));
            default: // BFloat16: the high half of a float
                return Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
        }
    }

    /** IEEE 754 binary16 to float (subnormals, infinities and NaN included). */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        if (exp == 0) {
            float v = mant / 16_777_216f; // 2^-24
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Unpickler.Call) return "a " + ((Unpickler.Call) o).callable + " object";
        if (o instanceof Map) return "a dict of " + keysOf((Map<?, ?>) o);
        return "a " + o.getClass().getSimpleName();
    }

    private static String keysOf(Map<?, ?> m) {
        List<String> keys = new ArrayList<>();
        for (Object k : m.keySet()) {
            if (keys.size() == 8) {
                keys.add("... (" + m.size() + " keys)");
                break;
            }
            keys.add(String.valueOf(k));
        }
        return "{" + String.join(", ", keys) + "}";
    }

    /** One storage a tensor views: its element type, its archive key and its element count. */
    private static final class Storage {
        final String type, key;
        final long size;

        Storage(String type, String key, long size) {
            this.type = type;
            this.key = key;
            this.size = size;
        }
    }
}
