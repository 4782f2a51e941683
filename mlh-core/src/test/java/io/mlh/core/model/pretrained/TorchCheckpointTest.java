package io.mlh.core.model.pretrained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading checkpoints that PyTorch 1.13 wrote itself (src/test/python/torch_fixtures.py): a wrapped state
 * dict with "module." prefixes, float16 / float32 / float64 and int64 tensors, a transposed view and two
 * views into one storage, beside an optimizer's state; and the files that are not a state dict in torch's zip
 * format, each refused saying what it is and what to do.
 */
class TorchCheckpointTest {
    private static final Configuration CONF = new Configuration();

    @TempDir
    Path dir;

    @Test
    void aWrappedDataParallelCheckpointGivesItsTensorsInOrder() throws IOException {
        Map<String, TorchTensor> sd =
                TorchCheckpoint.stateDict(fixture("wrapped.pth").toString(), CONF);
        assertEquals(
                Arrays.asList(
                        "conv.weight",
                        "bn.running_var",
                        "bn.num_batches_tracked",
                        "half",
                        "view",
                        "shared_a",
                        "shared_b"),
                new java.util.ArrayList<>(sd.keySet()));
        TorchTensor conv = sd.get("conv.weight");
        assertArrayEquals(new int[] {2, 3, 1, 1}, conv.shape);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, conv.values);
        assertArrayEquals(new float[] {1e-4f, 2f}, sd.get("bn.running_var").values); // float64, as floats
        assertEquals("Double", sd.get("bn.running_var").type);
        assertNull(sd.get("bn.num_batches_tracked").values, "an int64 has no float values");
        assertArrayEquals(new int[0], sd.get("bn.num_batches_tracked").shape);
        assertArrayEquals(new float[] {1f, -2.5f, 65504f}, sd.get("half").values);
        // base.t() of [[0, 1, 2], [3, 4, 5]]: strides (1, 3) over the base's storage
        assertArrayEquals(new int[] {3, 2}, sd.get("view").shape);
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, sd.get("view").values);
        // arange(10)[2:5] and arange(10)[5:9].view(2, 2): one storage, two offsets
        assertArrayEquals(new float[] {2, 3, 4}, sd.get("shared_a").values);
        assertArrayEquals(new int[] {2, 2}, sd.get("shared_b").shape);
        assertArrayEquals(new float[] {5, 6, 7, 8}, sd.get("shared_b").values);
    }

    @Test
    void aWriterCheckpointReadsBackExactly() throws IOException {
        Path f = dir.resolve("writer.pth");
        Map<String, TorchCheckpointWriter.Tensor> written = RandomResNetCheckpoint.stateDict(18, 3);
        TorchCheckpointWriter.write(f, "resnet18", written);
        Map<String, TorchTensor> read = TorchCheckpoint.stateDict(f.toUri().toString(), CONF); // a file:// URI
        assertEquals(written.keySet(), read.keySet());
        for (String k : written.keySet()) {
            assertArrayEquals(written.get(k).shape, read.get(k).shape, k);
            if (written.get(k).values != null) assertArrayEquals(written.get(k).values, read.get(k).values, k);
        }
    }

    @Test
    void theLegacyFormatIsRefusedWithHowToResaveIt() throws IOException {
        assertRefused(fixture("legacy.pth"), "torch's legacy format (torch < 1.6)", "torch.save(torch.load(f), g)");
    }

    @Test
    void aTorchScriptArchiveIsRefused() throws IOException {
        assertRefused(fixture("scripted.pt"), "is a TorchScript archive", "save model.state_dict()");
    }

    @Test
    void aWholePickledModelIsRefused() throws IOException {
        assertRefused(
                fixture("module.pth"),
                "is a whole pickled torch.nn.modules.container.Sequential",
                "save model.state_dict() instead");
    }

    @Test
    void aTruncatedCheckpointIsRefused() throws IOException {
        for (Path source : new Path[] {fixture("wrapped.pth"), writerCheckpoint()}) {
            byte[] whole = Files.readAllBytes(source);
            Path cut = dir.resolve("cut-" + source.getFileName());
            Files.write(cut, Arrays.copyOf(whole, whole.length * 2 / 3));
            assertRefused(cut, "is not a PyTorch checkpoint", "truncated");
        }
    }

    @Test
    void filesThatAreNotCheckpointsAreRefusedSayingWhatTheyAre() throws IOException {
        Path text = Files.write(dir.resolve("notes.pth"), "weights: see the wiki".getBytes("UTF-8"));
        assertRefused(text, "is not a PyTorch checkpoint", "not a zip archive");
        Path empty = Files.write(dir.resolve("empty.pth"), new byte[0]);
        assertRefused(empty, "is not a PyTorch checkpoint", "not a zip archive");
        Path zip = dir.resolve("other.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("readme.txt"));
            out.write(new byte[] {'h', 'i'});
        }
        assertRefused(zip, "is a zip archive but not a PyTorch checkpoint", "data.pkl");
        IOException missing = assertThrows(
                IOException.class,
                () -> TorchCheckpoint.stateDict(dir.resolve("nope.pth").toString(), CONF));
        assertTrue(missing.getMessage().contains("nope.pth"), missing.getMessage());
    }

    @Test
    void halfPrecisionDecodesEveryClassOfValue() {
        assertEquals(1f, TorchCheckpoint.halfToFloat((short) 0x3c00));
        assertEquals(-2f, TorchCheckpoint.halfToFloat((short) 0xc000));
        assertEquals(65504f, TorchCheckpoint.halfToFloat((short) 0x7bff));
        assertEquals((float) Math.pow(2, -24), TorchCheckpoint.halfToFloat((short) 0x0001)); // subnormal
        assertEquals(Float.POSITIVE_INFINITY, TorchCheckpoint.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(TorchCheckpoint.halfToFloat((short) 0x7e00)));
    }

    private Path writerCheckpoint() throws IOException {
        Path f = dir.resolve("small.pth");
        RandomResNetCheckpoint.write(f, 18, 4);
        return f;
    }

    private static void assertRefused(Path file, String... parts) {
        IOException e = assertThrows(IOException.class, () -> TorchCheckpoint.stateDict(file.toString(), CONF));
        for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), "names the file: " + e.getMessage());
    }

    private Path fixture(String name) throws IOException {
        Path f = dir.resolve(name);
        try (InputStream in = TorchCheckpointTest.class.getResourceAsStream("/pretrained/torch/" + name)) {
            if (in == null) throw new IOException("no fixture " + name + ": run make weights-fixture");
            Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
        }
        return f;
    }
}
