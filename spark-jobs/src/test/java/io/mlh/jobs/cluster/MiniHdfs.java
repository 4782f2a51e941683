package io.mlh.jobs.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HDFS on loopback: Hadoop 2.6.5's name node and {@code n} data nodes, each its own JVM started
 * from the jars of the {@code mini-dfs} module with its own {@code hdfs-site.xml}, as on a cluster, so a
 * test can kill one data node while a job writes. Files go in and out through Hadoop's {@code FsShell}
 * in a JVM on the Spark home's jars, the client the jobs use; the test JVM itself never loads an HDFS
 * client (Hadoop's protobuf 2.5 and BigDL's 3.x cannot share one).
 *
 * <p>Jobs write with {@link #sparkConf()}: the cluster's replication, and small blocks (64 KB), so
 * that even a small table spans many blocks and a data node can die in the middle of one.
 */
public final class MiniHdfs implements AutoCloseable {
    private static final int BLOCK_BYTES = 64 * 1024;
    /** The name node's log line for each new block: its file, and the data nodes of its write pipeline. */
    private static final Pattern ALLOCATED = Pattern.compile("BLOCK\\* allocateBlock: (\\S+)\\. ");

    private static final Pattern REPLICA = Pattern.compile("127\\.0\\.0\\.1:(\\d+)\\|RBW");

    private final Path workDir, clientConf, nameNodeLog;
    private final int replication;
    private final String uri;
    private final List<Process> daemons = new ArrayList<>();
    /** The data nodes by their data-transfer port, which is how the name node's log names a block's replicas. */
    private final Map<Integer, DataNode> dataNodes = new LinkedHashMap<>();

    private long logOffset;

    private interface Check {
        void run() throws Exception;
    }

    private static final class DataNode {
        final Path conf;
        final int ipcPort;
        Process process;

        DataNode(Path conf, int ipcPort) {
            this.conf = conf;
            this.ipcPort = ipcPort;
        }
    }

    /** One name node and one data node. */
    public MiniHdfs(Path workDir) throws Exception {
        this(workDir, 1, 1);
    }

    public MiniHdfs(Path workDir, int dataNodeCount, int replication) throws Exception {
        this.workDir = Files.createDirectories(workDir);
        this.replication = replication;
        int nameNodePort = StandaloneCluster.freePort();
        uri = "hdfs://127.0.0.1:" + nameNodePort;
        Map<String, String> common = new LinkedHashMap<>();
        common.put("dfs.replication", Integer.toString(replication));
        common.put("dfs.namenode.fs-limits.min-block-size", "4096");
        common.put("dfs.namenode.safemode.extension", "0");
        // a dead data node is declared dead after 20 s rather than 10.5 min, and a copy scheduled to a
        // node that died is rescheduled after 10 s rather than 5 min: a test heals in seconds
        common.put("dfs.heartbeat.interval", "1");
        common.put("dfs.namenode.heartbeat.recheck-interval", "5000");
        common.put("dfs.namenode.replication.pending.timeout-sec", "10");
        common.put("dfs.namenode.name.dir", workDir.resolve("name").toString());
        common.put("dfs.namenode.http-address", "127.0.0.1:" + StandaloneCluster.freePort());
        common.put("dfs.namenode.secondary.http-address", "127.0.0.1:0");
        common.put("hadoop.tmp.dir", workDir.resolve("tmp").toString());

        Path nameNodeConf = site(workDir.resolve("conf-namenode"), common);
        Path format = workDir.resolve("format.log");
        if (daemon("org.apache.hadoop.hdfs.server.namenode.NameNode", nameNodeConf)
                        .args("-format", "-force", "-nonInteractive")
                        .run(format, 2)
                != 0) {
            throw new IllegalStateException("formatting the name node failed:\n" + Jvm.tail(format, 30));
        }
        nameNodeLog = workDir.resolve("namenode.log");
        daemons.add(daemon("org.apache.hadoop.hdfs.server.namenode.NameNode", nameNodeConf)
                .start(nameNodeLog));
        for (int d = 0; d < dataNodeCount; d++) {
            Map<String, String> own = new LinkedHashMap<>(common);
            int transfer = StandaloneCluster.freePort(), ipc = StandaloneCluster.freePort();
            own.put("dfs.datanode.data.dir", workDir.resolve("data-" + d).toString());
            own.put("dfs.datanode.address", "127.0.0.1:" + transfer);
            own.put("dfs.datanode.http.address", "127.0.0.1:" + StandaloneCluster.freePort());
            own.put("dfs.datanode.ipc.address", "127.0.0.1:" + ipc);
            dataNodes.put(transfer, new DataNode(site(workDir.resolve("conf-datanode-" + d), own), ipc));
            start(dataNodes.get(transfer));
        }
        clientConf = site(workDir.resolve("client-conf"), common);
        // errors only, so that `fs -cat` prints just the file
        Files.write(
                clientConf.resolve("log4j.properties"),
                ("log4j.rootLogger=ERROR, err\n"
                                + "log4j.appender.err=org.apache.log4j.ConsoleAppender\nlog4j.appender.err.target=System.err\n"
                                + "log4j.appender.err.layout=org.apache.log4j.SimpleLayout\n")
                        .getBytes(StandardCharsets.UTF_8));
        awaitLiveDataNodes(dataNodeCount, 120);
    }

    /** {@code hdfs://127.0.0.1:<port>} */
    public String uri() {
        return uri;
    }

    /** spark-submit's arguments that make a job's HDFS client write as this cluster expects. */
    public List<String> sparkConf() {
        return Arrays.asList(
                "--conf",
                "spark.hadoop.dfs.replication=" + replication,
                "--conf",
                "spark.hadoop.dfs.blocksize=" + BLOCK_BYTES);
    }

    /** Runs {@code hadoop fs <args>}; returns its output, or fails with it. */
    public String fs(String... args) throws Exception {
        return client("org.apache.hadoop.fs.FsShell", args);
    }

    /** Runs {@code hdfs dfsadmin <args>} (quotas, reports). */
    public String admin(String... args) throws Exception {
        return client("org.apache.hadoop.hdfs.tools.DFSAdmin", args);
    }

    /** Runs {@code hdfs fsck <args>} (the name node's view of every block's replicas). */
    public String fsck(String... args) throws Exception {
        return client("org.apache.hadoop.hdfs.tools.DFSck", args);
    }

    /**
     * Waits for the name node to allocate a block of a file whose path {@code file} accepts, while
     * {@code job} runs; returns the data-transfer ports of that block's write pipeline.
     */
    public List<Integer> awaitBlockOf(Predicate<String> file, Process job, Path jobLog, int seconds) throws Exception {
        String line = awaitNameNodeLine(
                l -> {
                    Matcher m = ALLOCATED.matcher(l);
                    return m.find() && file.test(m.group(1));
                },
                seconds,
                () -> {
                    if (!job.isAlive())
                        throw new AssertionError(
                                "the job ended before writing the block awaited\n" + Jvm.tail(jobLog, 40));
                });
        List<Integer> ports = new ArrayList<>();
        Matcher r = REPLICA.matcher(line);
        while (r.find()) ports.add(Integer.parseInt(r.group(1)));
        return ports;
    }

    /** SIGKILL to the data node that the name node's log names by this data-transfer port. */
    public void killDataNode(int port) throws InterruptedException {
        Faults.kill(dataNode(port).process);
    }

    /**
     * Starts a killed data node again on its own storage and waits until the name node has its
     * block report and no block lacks a replica: the state an operator waits for after a node
     * failure, before the next.
     */
    public void restartDataNode(int port) throws Exception {
        DataNode node = dataNode(port);
        newNameNodeLines(); // only what the name node logs from now on
        start(node);
        String reported = "BLOCK* processReport: from storage ", by = "ipcPort=" + node.ipcPort + ",";
        awaitNameNodeLine(l -> l.contains(reported) && l.contains(by), 120, () -> {
            if (!node.process.isAlive()) throw new IllegalStateException("the restarted data node died");
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String report;
        while (!healthy(report = fsck("/"))) {
            if (System.nanoTime() > end)
                throw new IllegalStateException("HDFS did not heal in 120 s after a data node restarted:\n" + report);
            Thread.sleep(1000);
        }
    }

    /** fsck's verdict: every block has its full replication, none is corrupt or missing. */
    static boolean healthy(String fsck) {
        return fsck.contains("is HEALTHY")
                && Pattern.compile("Under-replicated blocks:\\s+0 ")
                        .matcher(fsck)
                        .find()
                && Pattern.compile("Corrupt blocks:\\s+0\\s").matcher(fsck).find();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : daemons) p.destroy();
        for (Process p : daemons) if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
    }

    private void start(DataNode node) throws IOException {
        node.process = daemon("org.apache.hadoop.hdfs.server.datanode.DataNode", node.conf)
                .start(workDir.resolve(node.conf.getFileName() + "-" + daemons.size() + ".log"));
        daemons.add(node.process);
    }

    private DataNode dataNode(int port) {
        DataNode node = dataNodes.get(port);
        if (node == null)
            throw new IllegalArgumentException("no data node on port " + port + ": " + dataNodes.keySet());
        return node;
    }

    /** Polls the name node's log for a line {@code wanted} accepts; {@code check} may end the wait by throwing. */
    private String awaitNameNodeLine(Predicate<String> wanted, int seconds, Check check) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            for (String line : newNameNodeLines()) if (wanted.test(line)) return line;
            check.run();
            if (System.nanoTime() > end)
                throw new AssertionError("the name node logged no line awaited in " + seconds + " s");
            Thread.sleep(5);
        }
    }

    private void awaitLiveDataNodes(int n, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String report = "";
        while (System.nanoTime() < end) {
            try {
                report = admin("-report");
                if (report.contains("Live datanodes (" + n + ")")) return;
            } catch (IllegalStateException nameNodeNotUpYet) {
                report = nameNodeNotUpYet.getMessage();
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("HDFS has not " + n + " live data nodes after " + seconds + " s:\n" + report
                + "\nname node log:\n" + Jvm.tail(nameNodeLog, 30));
    }

    /** The lines the name node has logged since the last call (whole lines only). */
    private List<String> newNameNodeLines() throws IOException {
        List<String> lines = new ArrayList<>();
        try (RandomAccessFile f = new RandomAccessFile(nameNodeLog.toFile(), "r")) {
            long length = f.length();
            if (length <= logOffset) return lines;
            byte[] bytes = new byte[(int) (length - logOffset)];
            f.seek(logOffset);
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int lastNewline = text.lastIndexOf('\n');
            if (lastNewline < 0) return lines;
            logOffset += text.substring(0, lastNewline + 1).getBytes(StandardCharsets.UTF_8).length;
            lines.addAll(Arrays.asList(text.substring(0, lastNewline).split("\n")));
        }
        return lines;
    }

    private String client(String mainClass, String... args) throws Exception {
        Path log = Files.createTempFile(workDir, "client-", ".log");
        int code = new Jvm(
                        "-Xmx256m",
                        mainClass,
                        clientConf.toString(),
                        StandaloneCluster.sparkHome()
                                .resolve("jars")
                                .resolve("*")
                                .toString())
                .args(args)
                .run(log, 5);
        String out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        if (code != 0)
            throw new IllegalStateException(
                    mainClass + " " + String.join(" ", args) + " failed (" + code + "):\n" + out);
        return out;
    }

    private static Jvm daemon(String mainClass, Path conf) {
        return new Jvm(
                "-Xmx384m",
                mainClass,
                conf.toString(),
                Jvm.moduleOutput("mini-dfs", "mini-dfs")
                        .resolve("jars")
                        .resolve("*")
                        .toString());
    }

    /** A Hadoop configuration directory: core-site.xml, hdfs-site.xml and INFO logging to the console. */
    private Path site(Path dir, Map<String, String> hdfs) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> core = new LinkedHashMap<>();
        core.put("fs.defaultFS", uri);
        Files.write(dir.resolve("core-site.xml"), xml(core).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("hdfs-site.xml"), xml(hdfs).getBytes(StandardCharsets.UTF_8));
        Files.write(
                dir.resolve("log4j.properties"),
                ("log4j.rootLogger=INFO, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\n"
                                + "log4j.appender.out.layout=org.apache.log4j.PatternLayout\n"
                                + "log4j.appender.out.layout.ConversionPattern=%d{HH:mm:ss,SSS} %p %c{1}: %m%n\n")
                        .getBytes(StandardCharsets.UTF_8));
        return dir;
    }

    private static String xml(Map<String, String> properties) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        properties.forEach((k, v) -> b.append("  <property><name>")
                .append(k)
                .append("</name><value>")
                .append(v)
                .append("</value></property>\n"));
        return b.append("</configuration>\n").toString();
    }
}
