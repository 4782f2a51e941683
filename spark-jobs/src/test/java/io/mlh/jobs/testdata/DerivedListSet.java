package io.mlh.jobs.testdata;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A derived 224-px data set in the list-file layout of ImageNet100 and MS-COCO, made from the CIFAR-10
 * JPEGs (../shared/datasets): each image enlarged to a random size of 160-500 px per side with an aspect
 * ratio in [3/4, 4/3] and written as a JPEG. Two sets under the output directory, each with its
 * {@code train.txt}, {@code test.txt} and {@code database.txt} and image root:
 * <ul>
 *   <li>{@code imagenet/}: one CIFAR-10 image a file, one-hot labels over the 10 classes;</li>
 *   <li>{@code coco/}: 2 x 2 mosaics of four CIFAR-10 images, multi-hot over the tiles' classes.</li>
 * </ul>
 * Per class (imagenet) or per set (coco, times 10): {@code queries} test.txt rows, {@code database}
 * database.txt rows, of which the first {@code train} are also train.txt rows (train is a subset of the
 * database, as in the deep-hashing protocol). With {@code oddities}, the imagenet database also lists
 * a greyscale JPEG, a CMYK JPEG, a PNG, a 20 x 16 JPEG smaller than any crop, a truncated JPEG and one
 * whose data is noise: the inputs whose outcome the shard job documents. The same seed gives the same
 * files. These images are upscaled 32 px photos: call any figure measured on them derived.
 *
 * <pre>java -cp &lt;mlh-bench class path&gt; io.mlh.jobs.testdata.DerivedListSet &lt;cifar10 dir&gt; &lt;out dir&gt; [queries=10] [database=100] [train=50] [seed=42] [oddities=false]</pre>
 */
public final class DerivedListSet {
    public static final String[] CLASSES = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
    };
    static final int MIN_SIDE = 160, MAX_SIDE = 500;
    /** The odd records of {@code oddities}, each named by what it is. */
    public static final String GREY = "odd/grey.jpg",
            CMYK = "odd/cmyk.jpg",
            PNG = "odd/colour.png",
            TINY = "odd/tiny.jpg",
            TRUNCATED = "odd/truncated.jpg",
            NOISE = "odd/noise.jpg";

    private final Path cifar, out;
    private final int queries, database, train;
    private final SplittableRandom rng;

    public DerivedListSet(Path cifar, Path out, int queries, int database, int train, long seed) {
        if (queries < 0 || database < 1 || train < 0 || train > database) {
            throw new IllegalArgumentException("need queries >= 0, database >= 1 and 0 <= train <= database, got "
                    + queries + ", " + database + ", " + train);
        }
        this.cifar = cifar;
        this.out = out;
        this.queries = queries;
        this.database = database;
        this.train = train;
        this.rng = new SplittableRandom(seed);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println(
                    "usage: DerivedListSet <cifar10 dir> <out dir> [queries=10] [database=100] [train=50] [seed=42] [oddities=false]");
            System.exit(2);
        }
        java.util.Map<String, String> o = new java.util.HashMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("not key=value: " + args[i]);
            o.put(kv[0], kv[1]);
        }
        DerivedListSet set = new DerivedListSet(
                Paths.get(args[0]),
                Paths.get(args[1]),
                Integer.parseInt(o.getOrDefault("queries", "10")),
                Integer.parseInt(o.getOrDefault("database", "100")),
                Integer.parseInt(o.getOrDefault("train", "50")),
                Long.parseLong(o.getOrDefault("seed", "42")));
        set.writeImageNetStyle(Boolean.parseBoolean(o.getOrDefault("oddities", "false")));
        set.writeCocoStyle();
        System.out.println("derived list-file sets written under " + args[1] + " (imagenet/, coco/)");
    }

    /** {@code imagenet/}: one enlarged CIFAR-10 image a file, one-hot labels; queries, then database images, of each class. */
    public void writeImageNetStyle(boolean oddities) throws IOException {
        Path root = out.resolve("imagenet");
        List<String> test = new ArrayList<>(), db = new ArrayList<>(), tr = new ArrayList<>();
        for (int c = 0; c < CLASSES.length; c++) {
            List<Path> files = sources(CLASSES[c], queries + database);
            for (int i = 0; i < files.size(); i++) {
                String name = CLASSES[c] + "/" + files.get(i).getFileName().toString();
                writeJpeg(enlarge(ImageIO.read(files.get(i).toFile()), randomSize()), root.resolve(name));
                String line = name + labels(c);
                if (i < queries) {
                    test.add(line);
                } else {
                    db.add(line);
                    if (i - queries < train) tr.add(line);
                }
            }
        }
        if (oddities) db.addAll(writeOddities(root));
        writeLists(root, test, db, tr);
    }

    /** {@code coco/}: 2 x 2 mosaics of random CIFAR-10 images, multi-hot over the tiles' classes. */
    public void writeCocoStyle() throws IOException {
        Path root = out.resolve("coco");
        List<List<Path>> pool = new ArrayList<>();
        for (String c : CLASSES) pool.add(sources(c, Integer.MAX_VALUE));
        List<String> test = new ArrayList<>(), db = new ArrayList<>(), tr = new ArrayList<>();
        int n = (queries + database) * CLASSES.length;
        for (int i = 0; i < n; i++) {
            int[] size = randomSize();
            BufferedImage mosaic = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
            Graphics2D g = smooth(mosaic.createGraphics());
            boolean[] present = new boolean[CLASSES.length];
            for (int t = 0; t < 4; t++) {
                int c = rng.nextInt(CLASSES.length);
                List<Path> files = pool.get(c);
                present[c] = true;
                int x0 = (t % 2) * size[0] / 2, y0 = (t / 2) * size[1] / 2;
                g.drawImage(
                        ImageIO.read(files.get(rng.nextInt(files.size())).toFile()),
                        x0,
                        y0,
                        (t % 2 + 1) * size[0] / 2 - x0,
                        (t / 2 + 1) * size[1] / 2 - y0,
                        null);
            }
            g.dispose();
            String name = String.format("mosaic/%05d.jpg", i), line = name + labels(present);
            writeJpeg(mosaic, root.resolve(name));
            if (i < queries * CLASSES.length) {
                test.add(line);
            } else {
                db.add(line);
                if (i - queries * CLASSES.length < train * CLASSES.length) tr.add(line);
            }
        }
        writeLists(root, test, db, tr);
    }

    /** The odd images, written under {@code root}; their database.txt lines (class 0, airplane). */
    private List<String> writeOddities(Path root) throws IOException {
        BufferedImage photo = ImageIO.read(sources(CLASSES[0], 1).get(0).toFile());
        BufferedImage big = enlarge(photo, new int[] {300, 240});
        BufferedImage grey = new BufferedImage(300, 240, BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(big, 0, 0, null);
        writeJpeg(grey, root.resolve(GREY));
        writeCmykJpeg(big, root.resolve(CMYK));
        Files.createDirectories(root.resolve(PNG).getParent());
        ImageIO.write(big, "png", root.resolve(PNG).toFile());
        writeJpeg(enlarge(photo, new int[] {20, 16}), root.resolve(TINY));
        byte[] whole = Files.readAllBytes(root.resolve(GREY));
        Files.write(root.resolve(TRUNCATED), Arrays.copyOf(whole, whole.length / 2));
        byte[] noise = new byte[4096];
        for (int i = 0; i < noise.length; i++) noise[i] = (byte) rng.nextInt(256);
        noise[0] = (byte) 0xff;
        noise[1] = (byte) 0xd8;
        noise[2] = (byte) 0xff;
        Files.write(root.resolve(NOISE), noise);
        List<String> lines = new ArrayList<>();
        for (String name : new String[] {GREY, CMYK, PNG, TINY, TRUNCATED, NOISE}) lines.add(name + labels(0));
        return lines;
    }

    /** The first {@code n} files of {@code cifar10/train/<class>} in name order (all of them for MAX_VALUE, at least one). */
    private List<Path> sources(String cls, int n) throws IOException {
        try (Stream<Path> files = Files.list(cifar.resolve("train").resolve(cls))) {
            List<Path> sorted = files.filter(p -> p.toString().endsWith(".jpg"))
                    .sorted()
                    .limit(n)
                    .collect(Collectors.toList());
            int needed = n == Integer.MAX_VALUE ? 1 : n;
            if (sorted.size() < needed) {
                throw new IOException(cifar.resolve("train").resolve(cls) + " has " + sorted.size() + " JPEGs, "
                        + needed + " are needed");
            }
            return sorted;
        }
    }

    /** {width, height}: the width uniform in [160, 500], the aspect ratio log-uniform in [3/4, 4/3], both sides in range. */
    private int[] randomSize() {
        int w = MIN_SIDE + rng.nextInt(MAX_SIDE - MIN_SIDE + 1);
        double aspect = Math.exp(Math.log(0.75) + rng.nextDouble() * (Math.log(4 / 3.0) - Math.log(0.75)));
        int h = (int) Math.max(MIN_SIDE, Math.min(MAX_SIDE, Math.round(w / aspect)));
        return new int[] {w, h};
    }

    private static BufferedImage enlarge(BufferedImage src, int[] size) {
        BufferedImage dst = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
        Graphics2D g = smooth(dst.createGraphics());
        g.drawImage(src, 0, 0, size[0], size[1], null);
        g.dispose();
        return dst;
    }

    private static Graphics2D smooth(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        return g;
    }

    private static void writeJpeg(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, "jpg", file.toFile())) throw new IOException("no JPEG writer for " + file);
    }

    /** A four-channel (Adobe CMYK) JPEG of {@code rgb}: the JDK's writer stores a four-band raster as CMYK. */
    private static void writeCmykJpeg(BufferedImage rgb, Path file) throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(
                java.awt.image.DataBuffer.TYPE_BYTE, rgb.getWidth(), rgb.getHeight(), 4, null);
        int[] px = new int[4];
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                int v = rgb.getRGB(x, y), r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
                int max = Math.max(1, Math.max(r, Math.max(g, b))); // 255 - K
                // Adobe's CMYK JPEGs store the inks inverted: 255 - C = 255 r / max, ..., 255 - K = max
                px[0] = 255 * r / max;
                px[1] = 255 * g / max;
                px[2] = 255 * b / max;
                px[3] = max;
                cmyk.setPixel(x, y, px);
            }
        }
        Files.createDirectories(file.getParent());
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (OutputStream os = Files.newOutputStream(file);
                ImageOutputStream ios = ImageIO.createImageOutputStream(os)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            writer.write(null, new IIOImage(cmyk, null, null), p);
        } finally {
            writer.dispose();
        }
    }

    private static String labels(int cls) {
        boolean[] one = new boolean[CLASSES.length];
        one[cls] = true;
        return labels(one);
    }

    private static String labels(boolean[] present) {
        StringBuilder b = new StringBuilder();
        for (boolean p : present) b.append(p ? " 1" : " 0");
        return b.toString();
    }

    private static void writeLists(Path root, List<String> test, List<String> db, List<String> train)
            throws IOException {
        write(root.resolve("test.txt"), test);
        write(root.resolve("database.txt"), db);
        write(root.resolve("train.txt"), train);
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.createDirectories(file.getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            for (String l : lines) w.println(l);
        }
    }
}
