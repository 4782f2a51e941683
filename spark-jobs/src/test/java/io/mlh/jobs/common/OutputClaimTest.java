package io.mlh.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per output, on the local file system: a claim held by another process is refused
 * naming it, and taken over once that process has ended; a claim from another host is taken over
 * only after its lease or when broken; a writer whose claim was taken over does not commit.
 */
class OutputClaimTest {
    private static final Configuration CONF = new Configuration();
    private static final OutputClaim.Terms TERMS = new OutputClaim.Terms(60_000, false, "test-app");

    @TempDir
    Path dir;

    private String lastHolderLine;

    /** Run by the test in a JVM of its own: claims args[0], says so, and holds it until killed. */
    public static void main(String[] args) throws Exception {
        OutputClaim.take(new Configuration(), args[0], new OutputClaim.Terms(60_000, false, "holder-app"));
        System.out.println("claimed by " + ManagementFactory.getRuntimeMXBean().getName());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }

    @Test
    void anotherProcessIsRefusedNamingTheHolderUntilItEnds() throws Exception {
        String target = dir.resolve("codes").toString();
        Process holder = holder(target);
        String holderProcess = lastHolderLine; // its "pid@host"
        try {
            IOException refused = assertThrows(IOException.class, () -> OutputClaim.take(CONF, target, TERMS));
            String m = refused.getMessage();
            assertTrue(m.contains("is being written by another job") && m.contains("application holder-app"), m);
            assertTrue(m.contains("process " + holderProcess + " on "), m);
            assertTrue(m.contains("jobs.break-claim=true"), m);
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // the killed holder left its claim behind; it ran on this host and has ended: taken over at once
        assertTrue(Files.exists(dir.resolve(".codes.claim")));
        try (OutputClaim claim = OutputClaim.take(CONF, target, TERMS)) {
            assertTrue(claim.toString().contains("application test-app"), claim.toString());
            claim.requireHeld();
        }
        assertFalse(Files.exists(dir.resolve(".codes.claim")), "a released claim is removed");
    }

    @Test
    void aClaimFromAnotherHostIsTakenOverAfterItsLeaseOrWhenBroken() throws Exception {
        String target = dir.resolve("model").toString();
        File claimFile = dir.resolve(".model.claim").toFile();
        plantForeignClaim(claimFile);
        IOException live = assertThrows(IOException.class, () -> OutputClaim.take(CONF, target, TERMS));
        assertTrue(live.getMessage().contains("process 4242@elsewhere.example"), live.getMessage());

        assertTrue(claimFile.setLastModified(System.currentTimeMillis() - 61_000)); // not renewed for a lease
        try (OutputClaim claim = OutputClaim.take(CONF, target, TERMS)) {
            claim.requireHeld();
        }

        plantForeignClaim(claimFile);
        try (OutputClaim broken = OutputClaim.take(CONF, target, new OutputClaim.Terms(60_000, true, "operator"))) {
            broken.requireHeld();
            assertTrue(read(claimFile).contains("\"application\":\"operator\""), read(claimFile));
        }
    }

    @Test
    void aWriterWhoseClaimWasTakenOverDoesNotCommit() throws Exception {
        String target = dir.resolve("report").toString();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            IOException stopped = assertThrows(
                    IOException.class,
                    () -> CommittedOutput.write(CONF, target, false, TERMS, staging -> {
                        Files.write(
                                new File(staging.toUri().getPath()).toPath().resolve("metrics.json"),
                                new byte[] {'{', '}'});
                        // meanwhile an operator breaks the claim, thinking this writer dead, and holds it
                        Future<OutputClaim> breaker = other.submit(
                                () -> OutputClaim.take(CONF, target, new OutputClaim.Terms(60_000, true, "operator")));
                        try {
                            breaker.get();
                        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                            throw new IOException(e);
                        }
                        return null;
                    }));
            assertTrue(stopped.getMessage().contains("was taken over by application operator"), stopped.getMessage());
            assertTrue(stopped.getMessage().contains("not committing"), stopped.getMessage());
            assertFalse(Files.exists(dir.resolve("report")), "nothing committed");
            assertEquals(1, listHidden().size(), "only the operator's claim is left: " + listHidden());
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aClaimIsReentrantForItsThreadOnlyAndRenewedWhileHeld() throws Exception {
        String target = dir.resolve("shards").toString();
        File claimFile = dir.resolve(".shards.claim").toFile();
        try (OutputClaim claim = OutputClaim.take(CONF, target, new OutputClaim.Terms(300, false, "app"))) {
            try (OutputClaim again = OutputClaim.take(CONF, target, TERMS)) {
                assertSame(claim, again);
            }
            assertTrue(claimFile.exists(), "the outer hold keeps the claim");
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<?> refused = other.submit(() -> OutputClaim.take(CONF, target, TERMS));
                Exception e = assertThrows(Exception.class, refused::get);
                assertTrue(e.getCause().getMessage().contains("another thread of this process"), e.getMessage());
            } finally {
                other.shutdownNow();
            }
            long stale = System.currentTimeMillis() - 10_000;
            assertTrue(claimFile.setLastModified(stale));
            // renewed every 100 ms (a third of the lease): waits for the next renewal, however late it comes
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (claimFile.lastModified() <= stale + 5_000 && System.nanoTime() < end) Thread.sleep(20);
            assertTrue(claimFile.lastModified() > stale + 5_000, "the claim was not renewed in a minute");
        }
        assertFalse(claimFile.exists());
    }

    private Process holder(String target) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(OutputClaimTest.class.getName());
        cmd.add(target);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("claimed by ")) {
                lastHolderLine = line.substring("claimed by ".length());
                return p;
            }
        }
        throw new AssertionError("the holder JVM ended without claiming (exit " + p.waitFor() + ")");
    }

    /** A live claim as a writer on another host leaves it. */
    private static void plantForeignClaim(File file) throws IOException {
        Files.write(
                file.toPath(),
                ("{\"token\":\"t-1\",\"application\":\"app-elsewhere\",\"host\":\"elsewhere.example\","
                                + "\"process\":\"4242@elsewhere.example\",\"started\":\"2026-01-01T00:00:00Z\","
                                + "\"lease_ms\":60000}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    private static String read(File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }

    private List<String> listHidden() throws IOException {
        List<String> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("."))
                    .forEach(out::add);
        }
        return out;
    }
}
