package io.mlh.jobs.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real HDFS on loopback: Hadoop 2.6.5's mini cluster (one name node, one data node) in its own JVM,
 * started through Hadoop's own command-line launcher from the jars of the {@code mini-dfs} module.
 * Files go in and out through Hadoop's {@code FsShell} in a JVM on the Spark home's jars, the client
 * the jobs use; the test JVM itself never loads an HDFS client (Hadoop's protobuf 2.5 and BigDL's 3.x
 * cannot share one).
 */
public final class MiniHdfs implements AutoCloseable {
    private final Path workDir, clientConf;
    private final Process nameAndDataNode;
    private final String uri;

    public MiniHdfs(Path workDir) throws Exception {
        this.workDir = Files.createDirectories(workDir);
        Path details = workDir.resolve("details.json");
        nameAndDataNode = new Jvm(
                        "-Xmx768m",
                        "org.apache.hadoop.mapreduce.MiniHadoopClusterManager",
                        Jvm.moduleOutput("mini-dfs", "mini-dfs")
                                .resolve("jars")
                                .resolve("*")
                                .toString())
                .env("HADOOP_LOG_DIR", workDir.toString())
                .directory(workDir) // the mini DFS keeps its blocks under ./build/test/data, whatever -D says
                .args(
                        "-D",
                        "test.build.data=" + workDir.resolve("data"),
                        "-D",
                        "hadoop.tmp.dir=" + workDir.resolve("tmp"),
                        "-nomr",
                        "-format",
                        "-nnport",
                        Integer.toString(StandaloneCluster.freePort()),
                        "-datanodes",
                        "1",
                        "-writeDetails",
                        details.toString())
                .start(workDir.resolve("mini-dfs.log"));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(details) || Files.size(details) == 0) {
            if (!nameAndDataNode.isAlive() || System.nanoTime() > end) {
                nameAndDataNode.destroyForcibly();
                throw new IllegalStateException(
                        "the mini DFS did not start; its log:\n" + Jvm.tail(workDir.resolve("mini-dfs.log"), 40));
            }
            Thread.sleep(200);
        }
        int port = new ObjectMapper()
                .readTree(details.toFile())
                .path("namenode_port")
                .asInt();
        uri = "hdfs://127.0.0.1:" + port;
        // FsShell insists on a core-site.xml, as on a real client machine (HADOOP_CONF_DIR)
        clientConf = Files.createDirectories(workDir.resolve("client-conf"));
        Files.write(
                clientConf.resolve("core-site.xml"),
                ("<?xml version=\"1.0\"?>\n<configuration>\n"
                                + "  <property><name>fs.defaultFS</name><value>" + uri + "</value></property>\n"
                                + "</configuration>\n")
                        .getBytes(StandardCharsets.UTF_8));
        // errors only, so that `fs -cat` prints just the file
        Files.write(
                clientConf.resolve("log4j.properties"),
                ("log4j.rootLogger=ERROR, err\n"
                                + "log4j.appender.err=org.apache.log4j.ConsoleAppender\nlog4j.appender.err.target=System.err\n"
                                + "log4j.appender.err.layout=org.apache.log4j.SimpleLayout\n")
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** {@code hdfs://127.0.0.1:<port>} */
    public String uri() {
        return uri;
    }

    /** Runs {@code hadoop fs <args>}; returns its output, or fails with it. */
    public String fs(String... args) throws Exception {
        Path log = Files.createTempFile(workDir, "fs-", ".log");
        int code = new Jvm(
                        "-Xmx256m",
                        "org.apache.hadoop.fs.FsShell",
                        clientConf.toString(),
                        StandaloneCluster.sparkHome()
                                .resolve("jars")
                                .resolve("*")
                                .toString())
                .args(args)
                .run(log, 5);
        String out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        if (code != 0)
            throw new IllegalStateException("hadoop fs " + String.join(" ", args) + " failed (" + code + "):\n" + out);
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        nameAndDataNode.destroy();
        if (!nameAndDataNode.waitFor(20, TimeUnit.SECONDS)) nameAndDataNode.destroyForcibly();
    }
}
