package io.mlh.jobs.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real browser for the report tests: Chromium in headless mode, each run with a profile of its own.
 * A missing Chromium fails the test, saying how to install it ({@code make test} installs it).
 */
final class HeadlessChromium {
    private static final String[] NAMES = {"chromium", "chromium-browser", "google-chrome"};
    private static final long TIMEOUT_SECONDS = 120;

    private final String binary;
    private final Path work;

    private HeadlessChromium(String binary, Path work) {
        this.binary = binary;
        this.work = work;
    }

    /** The Chromium on the PATH, its profiles and outputs under {@code work}; fails the test without one. */
    static HeadlessChromium find(Path work) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : NAMES) {
                Path p = Paths.get(dir, name);
                if (Files.isExecutable(p)) return new HeadlessChromium(p.toString(), work);
            }
        }
        return fail("no Chromium on the PATH (" + String.join(", ", NAMES) + "): the report's browser test needs"
                + " one; install it with `apt-get install -y chromium` (make test does)");
    }

    /** The page's DOM after its load event (its scripts run), as Chromium serialises it. */
    String dumpDom(Path page) throws IOException, InterruptedException {
        return dumpDom(page.toUri().toString());
    }

    /**
     * The DOM of the page at {@code url} once its scripts, their fetches included, are done: Chromium's
     * virtual time runs up to 30 s of timers and waits for every pending request before it dumps.
     */
    String dumpDom(String url) throws IOException, InterruptedException {
        Path out = work.resolve("dom-" + System.nanoTime() + ".html");
        run(out, "--virtual-time-budget=30000", "--dump-dom", url);
        return new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
    }

    /** A PNG of the page's first {@code width} x {@code height} pixels. */
    Path screenshot(Path page, int width, int height) throws IOException, InterruptedException {
        return screenshot(page.toUri().toString(), width, height);
    }

    /** The same of the page at {@code url}, once its scripts and their fetches are done. */
    Path screenshot(String url, int width, int height) throws IOException, InterruptedException {
        Path png = work.resolve("screenshot-" + System.nanoTime() + ".png");
        run(
                null,
                "--virtual-time-budget=30000",
                "--screenshot=" + png,
                "--window-size=" + width + "," + height,
                "--hide-scrollbars",
                url);
        assertTrue(Files.exists(png), "Chromium wrote no screenshot " + png);
        return png;
    }

    private void run(Path stdout, String... args) throws IOException, InterruptedException {
        Path profile = Files.createDirectories(work.resolve("profile-" + System.nanoTime()));
        Path log = work.resolve("chromium-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>(
                Arrays.asList(binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile));
        command.addAll(Arrays.asList(args));
        ProcessBuilder b = new ProcessBuilder(command).redirectError(log.toFile());
        b.redirectOutput(stdout != null ? stdout.toFile() : log.toFile());
        if (stdout == null) b.redirectErrorStream(true);
        Process p = b.start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("Chromium did not finish within " + TIMEOUT_SECONDS + " s: " + command);
        }
        assertEquals(0, p.exitValue(), "Chromium failed: " + command + "\n" + tail(log));
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) return "";
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** A tag's integer attribute, e.g. data-neighbours="10". */
    static int attribute(String tag, String name) {
        Matcher m = Pattern.compile(name + "=\"(-?\\d+)\"").matcher(tag);
        assertTrue(m.find(), name + " missing from " + tag);
        return Integer.parseInt(m.group(1));
    }
}
