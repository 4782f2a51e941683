package io.mlh.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class IdxFileTest {

    @Test
    void readsRawAndGzippedImagesAndLabels() throws IOException {
        byte[] images = images(2, 2, 3, 12);
        for (byte[] file : new byte[][] {images, gzip(images)}) {
            IdxFile.Images im = IdxFile.readImages(new ByteArrayInputStream(file), "x");
            assertEquals(2, im.count);
            assertEquals(2, im.rows);
            assertEquals(3, im.cols);
            assertEquals((byte) 11, im.pixels[11]);
        }
        assertArrayEquals(
                new int[] {0, 9, 255}, IdxFile.readLabels(new ByteArrayInputStream(gzip(labels(3, 0, 9, 255))), "y"));
    }

    @Test
    void headerAndSizeMustAgree() {
        IOException shortFile = assertThrows(
                IOException.class, () -> IdxFile.readImages(new ByteArrayInputStream(images(3, 2, 2, 8)), "short.idx"));
        assertTrue(
                shortFile.getMessage().contains("short.idx")
                        && shortFile.getMessage().contains("ends early"),
                shortFile.getMessage());
        IOException longFile = assertThrows(
                IOException.class, () -> IdxFile.readLabels(new ByteArrayInputStream(labels(1, 4, 5)), "long.idx"));
        assertTrue(longFile.getMessage().contains("more data follows"), longFile.getMessage());
        IOException magic = assertThrows(
                IOException.class,
                () -> IdxFile.readImages(new ByteArrayInputStream(labels(1, 4)), "labels-as-images.idx"));
        assertTrue(magic.getMessage().contains("magic"), magic.getMessage());
    }

    @Test
    void realFashionMnistHeadersMatchTheirData() throws IOException {
        LabelledImages test = FashionMnist.testSet();
        assertEquals(10_000, test.size());
        assertEquals(28, test.height);
        int[] perClass = new int[10];
        for (float[] y : test.labels) for (int c = 0; c < 10; c++) perClass[c] += (int) y[c];
        for (int c = 0; c < 10; c++) assertEquals(1000, perClass[c]);
    }

    @Test
    void splitFollowsTheProtocol() throws IOException {
        LabelledImages test = FashionMnist.testSet();
        RetrievalSplit s = RetrievalSplit.of(test.labels, 100, 300, 1);
        assertEquals(1000, s.query.length);
        assertEquals(9000, s.database.length);
        assertEquals(3000, s.train.length);
        java.util.Set<Integer> db = new java.util.HashSet<>();
        for (int i : s.database) db.add(i);
        for (int i : s.query) assertTrue(!db.contains(i), "query " + i + " is also in the database");
        for (int i : s.train) assertTrue(db.contains(i), "training image " + i + " is not from the database");
        assertArrayEquals(s.train, RetrievalSplit.of(test.labels, 100, 300, 1).train);
        assertTrue(!java.util.Arrays.equals(s.train, RetrievalSplit.of(test.labels, 100, 300, 2).train));
        assertThrows(IllegalArgumentException.class, () -> RetrievalSplit.of(test.labels, 600, 500, 1));
    }

    static byte[] images(int count, int rows, int cols, int pixelBytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(IdxFile.IMAGES_MAGIC);
        out.writeInt(count);
        out.writeInt(rows);
        out.writeInt(cols);
        for (int i = 0; i < pixelBytes; i++) out.writeByte(i);
        return b.toByteArray();
    }

    static byte[] labels(int count, int... values) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(IdxFile.LABELS_MAGIC);
        out.writeInt(count);
        for (int v : values) out.writeByte(v);
        return b.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(raw);
        }
        return b.toByteArray();
    }
}
