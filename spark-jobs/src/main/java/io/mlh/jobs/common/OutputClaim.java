package io.mlh.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.log4j.Logger;

/**
 * One writer per output. A writer claims its target by creating {@code .<name>.claim} beside it
 * whole and only if none is there (a draft that takes the claim's name in one step, see
 * {@link #createExclusive}), holding who it is: a random token, the Spark application, host, process and
 * start time. A second writer finds the file and is refused at once, the message naming the holder.
 *
 * <p>The claim is a lease: while it is held a daemon thread touches the file every third of the
 * lease ({@code jobs.claim-lease}, default 10 minutes). A claim whose file was not touched for a
 * whole lease belongs to a writer that died (killed driver, lost machine): the next writer takes it
 * over, by renaming it aside (one rename wins) and creating its own; so is, at once, the claim of a
 * process of the same host that no longer runs (a driver killed there). {@code jobs.break-claim=true}
 * takes a claim over at once, for an operator who knows its holder is gone. Before it commits, a
 * writer checks that the claim is still its own, so a writer whose claim was taken over (it was
 * stalled longer than the lease) stops without committing. The rule assumes the writers' clocks
 * agree to well within the lease.
 *
 * <p>Claims are re-entrant for the thread that holds them: the train job claims its model directory
 * for the whole run, and the commits inside it find the claim already held. Another thread of the
 * same JVM is another writer.
 */
public final class OutputClaim implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OutputClaim.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Held in this JVM, by claim file. */
    private static final Map<String, OutputClaim> HELD = new HashMap<>();

    /** How a writer claims: its lease, whether it may take over a live claim, and who it is. */
    public static final class Terms implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        public static final Terms DEFAULT = new Terms(TimeUnit.MINUTES.toMillis(10), false, "");
        final long leaseMs;
        final boolean breakClaim;
        final String application;

        public Terms(long leaseMs, boolean breakClaim, String application) {
            if (leaseMs < 3)
                throw new IllegalArgumentException("a claim's lease must be at least 3 ms, got " + leaseMs);
            this.leaseMs = leaseMs;
            this.breakClaim = breakClaim;
            this.application = application;
        }

        /** The same terms for the Spark application {@code id}. */
        public Terms of(String id) {
            return new Terms(leaseMs, breakClaim, id);
        }
    }

    private final Configuration conf;
    private final Path file;
    private final String token, holder;
    private final ScheduledExecutorService heartbeat;
    private final Thread owner = Thread.currentThread();
    private int holds = 1;

    private OutputClaim(Configuration conf, Path file, String token, String holder, long leaseMs) {
        this.conf = conf;
        this.file = file;
        this.token = token;
        this.holder = holder;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mlh-claim " + file.getName());
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, leaseMs / 3);
        heartbeat.scheduleAtFixedRate(this::touch, every, every, TimeUnit.MILLISECONDS);
    }

    /** The claim file of {@code target}: beside it, hidden, so readers of the parent never list it as data. */
    public static Path fileOf(Path target) {
        return new Path(target.getParent(), "." + target.getName() + ".claim");
    }

    /**
     * Claims {@code target} for this writer; fails at once, naming the holder, when another writer
     * holds a live claim on it.
     */
    public static OutputClaim take(Configuration conf, String target, Terms terms) throws IOException {
        Path t = new Path(target);
        FileSystem fs = t.getFileSystem(conf);
        Path file = fs.makeQualified(fileOf(t));
        synchronized (HELD) {
            OutputClaim mine = HELD.get(file.toString());
            if (mine != null && mine.owner == Thread.currentThread()) {
                mine.holds++;
                return mine;
            }
            if (mine != null && !terms.breakClaim) {
                throw new IOException("output " + t + " is being written by another thread of this process ("
                        + mine.holder + "): one writer at a time");
            }
            String token = UUID.randomUUID().toString();
            byte[] content = describe(token, terms);
            for (int attempt = 0; attempt < 3; attempt++) {
                if (createExclusive(fs, file, content)) {
                    OutputClaim claim =
                            new OutputClaim(conf, file, token, holderText(JSON.readTree(content)), terms.leaseMs);
                    HELD.put(file.toString(), claim);
                    LOG.info("claimed " + t + " (" + claim.holder + ")");
                    return claim;
                }
                FileStatus st;
                JsonNode other;
                try {
                    st = fs.getFileStatus(file);
                    other = read(fs, file);
                } catch (java.io.FileNotFoundException released) {
                    continue; // its writer released it meanwhile
                }
                long idle = System.currentTimeMillis() - st.getModificationTime();
                boolean gone = holderIsGone(other);
                if (!terms.breakClaim && !gone && idle <= terms.leaseMs) {
                    throw new IOException("output " + t + " is being written by another job (" + holderText(other)
                            + "; its claim " + file + " was renewed " + idle / 1000 + " s ago): one writer at a time."
                            + " If that job is gone, its claim lapses " + (terms.leaseMs / 1000) + " s after its last"
                            + " renewal, or set jobs.break-claim=true to take it over now");
                }
                Path aside = new Path(file.getParent(), file.getName() + ".broken-" + UUID.randomUUID());
                if (fs.rename(file, aside)) { // of the writers taking over, one rename wins
                    LOG.warn("took over the claim on " + t + " of " + holderText(other) + " ("
                            + (terms.breakClaim
                                    ? "jobs.break-claim=true"
                                    : gone ? "its process has ended" : "not renewed for " + idle / 1000 + " s")
                            + ")");
                    fs.delete(aside, false);
                }
            }
            throw new IOException("cannot claim output " + t + ": its claim " + file + " keeps changing hands");
        }
    }

    /** Fails unless this writer still holds the claim (it may have lapsed while the writer stalled). */
    public void requireHeld() throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        JsonNode now;
        try {
            now = read(fs, file);
        } catch (java.io.FileNotFoundException e) {
            throw new IOException("this job's claim " + file + " is gone: another writer may have taken the output"
                    + " over; not committing");
        }
        if (!token.equals(now.path("token").asText())) {
            throw new IOException(
                    "this job's claim " + file + " was taken over by " + holderText(now) + "; not committing");
        }
    }

    /** Releases one hold; the last removes the claim file if it is still this writer's. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (--holds > 0) return;
            HELD.remove(file.toString(), this); // unless another writer took the claim over
        }
        heartbeat.shutdownNow();
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (token.equals(read(fs, file).path("token").asText())) fs.delete(file, false);
        } catch (IOException gone) {
            // already removed or taken over: nothing of ours to release
        }
    }

    @Override
    public String toString() {
        return "claim " + file + " of " + holder;
    }

    private void touch() {
        try {
            FileSystem fs = file.getFileSystem(conf);
            if (!token.equals(read(fs, file).path("token").asText())) { // taken over: renew nobody else's lease
                LOG.warn("the claim " + file + " was taken over by another writer");
                heartbeat.shutdown();
                return;
            }
            fs.setTimes(file, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot renew " + file + ": " + e); // the commit's requireHeld decides
        }
    }

    /**
     * Publishes {@code content} as {@code file} only if no file is there, atomically and whole: false if
     * one is. The content goes to a draft beside it first, then takes the claim's name in one step that
     * fails on an existing file (a hard link on local paths, a rename on HDFS), so a writer that is refused
     * always reads a complete claim naming its holder.
     */
    private static boolean createExclusive(FileSystem fs, Path file, byte[] content) throws IOException {
        Path draft = new Path(file.getParent(), file.getName() + ".draft-" + UUID.randomUUID());
        FileSystem raw = fs instanceof LocalFileSystem ? ((LocalFileSystem) fs).getRaw() : fs;
        if (raw instanceof RawLocalFileSystem) { // Hadoop's local create and rename check, then act: not atomic
            java.nio.file.Path f = ((RawLocalFileSystem) raw).pathToFile(file).toPath(),
                    d = ((RawLocalFileSystem) raw).pathToFile(draft).toPath();
            java.nio.file.Files.createDirectories(f.getParent());
            java.nio.file.Files.write(d, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                java.nio.file.Files.createLink(f, d);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            } finally {
                java.nio.file.Files.deleteIfExists(d);
            }
        }
        fs.mkdirs(file.getParent());
        try (OutputStream out = fs.create(draft, false)) {
            out.write(content);
        }
        try {
            return fs.rename(draft, file); // HDFS renames in one namenode step, and not onto an existing file
        } finally {
            fs.delete(draft, false);
        }
    }

    /**
     * Whether the holder was a process of this host that no longer runs (Linux's /proc): a driver
     * killed here is taken over at once rather than after its lease. Elsewhere only the lease tells.
     */
    private static boolean holderIsGone(JsonNode holder) {
        String process = holder.path("process").asText();
        int at = process.indexOf('@');
        java.io.File proc = new java.io.File("/proc");
        if (at < 1 || !proc.isDirectory()) return false;
        try {
            if (!process.substring(at + 1).equals(InetAddress.getLocalHost().getHostName())) return false;
        } catch (IOException e) {
            return false;
        }
        String pid = process.substring(0, at);
        return pid.chars().allMatch(Character::isDigit) && !new java.io.File(proc, pid).exists();
    }

    private static JsonNode read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return JSON.createObjectNode(); // not a claim this class wrote: held by a writer it cannot name
        }
    }

    private static byte[] describe(String token, Terms terms) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("token", token);
        o.put("application", terms.application);
        o.put("host", InetAddress.getLocalHost().getHostName());
        o.put("process", ManagementFactory.getRuntimeMXBean().getName());
        o.put("started", Instant.now().toString());
        o.put("lease_ms", terms.leaseMs);
        return JSON.writeValueAsBytes(o);
    }

    private static String holderText(JsonNode o) {
        if (!o.has("token")) return "a writer whose claim file is not readable";
        String app = o.path("application").asText();
        return (app.isEmpty() ? "" : "application " + app + ", ") + "process "
                + o.path("process").asText() + " on " + o.path("host").asText() + ", started "
                + o.path("started").asText();
    }
}
