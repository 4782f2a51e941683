package io.mlh.jobs.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/** A subset of the real CIFAR-10 JPEG tree of ../shared/datasets, unpacked for a test. */
public final class CifarSubset {
    private CifarSubset() {}

    /** The tarball beside the project checkout, found from the working directory upwards. */
    public static Path tarball() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path t = p.resolve("shared/datasets/cifar10-jpg.tar.gz");
            if (Files.isRegularFile(t)) return t;
        }
        throw new IllegalStateException(
                "shared/datasets/cifar10-jpg.tar.gz is not beside the checkout (see ../shared/datasets/README.md)");
    }

    /** Unpacks {@code cifar10/train/<class>/<glob>} into {@code dir}; returns {@code dir}. */
    public static Path extract(Path dir, String fileGlob) throws Exception {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(
                        "tar",
                        "xzf",
                        tarball().toString(),
                        "-C",
                        dir.toString(),
                        "--wildcards",
                        "cifar10/train/*/" + fileGlob)
                .inheritIO()
                .start();
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0)
            throw new IllegalStateException("tar failed on " + tarball());
        return dir;
    }
}
