package io.mlh.zeppelin;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Zeppelin server of the ZEPPELIN_HOME this module assembles ({@code target/zeppelin-home}), run
 * as its own process on 127.0.0.1 at a free port, driven through its REST API, and stopped with every
 * interpreter process it started. No web UI is published to Maven Central, so the server serves the
 * REST API and an empty page.
 *
 * <p>Everything the run writes lives under one directory: the notebook folder, the server's
 * configuration and log, the interpreters' pid files and logs, and the interpreters' working
 * directory ({@code work/}, against which relative paths in notes resolve).
 */
public final class ZeppelinProcess implements AutoCloseable {
    private static final Pattern BODY = Pattern.compile("\"body\"\\s*:\\s*\"([^\"]+)\"");

    private final Process server;
    private final Path dir;
    private final int port;

    private ZeppelinProcess(Process server, Path dir, int port) {
        this.server = server;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts the server of {@code home} with its state under {@code dir} on {@code port} (0: a free
     * one), and returns once its REST API answers (at most {@code timeoutSeconds}); a server that exits
     * or does not answer in time is stopped and the failure names its log.
     */
    public static ZeppelinProcess start(Path home, Path dir, int port, int timeoutSeconds)
            throws IOException, InterruptedException {
        if (!Files.isDirectory(home.resolve("lib")) || !Files.isRegularFile(home.resolve("bin/interpreter.sh")))
            throw new IOException(
                    home + " is not an assembled ZEPPELIN_HOME: build it with `mvn -pl zeppelin -am package`");
        Path notebook = Files.createDirectories(dir.resolve("notebook")),
                conf = Files.createDirectories(dir.resolve("conf")),
                web = Files.createDirectories(dir.resolve("web")),
                run = Files.createDirectories(dir.resolve("run")),
                work = Files.createDirectories(dir.resolve("work"));
        Files.copy(
                home.resolve("conf/log4j.properties"),
                conf.resolve("log4j.properties"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (port == 0) port = freePort();
        List<String> command = new ArrayList<>();
        command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
        command.add("-Xmx1g");
        command.add("-Dlog4j.configuration=file:" + conf.resolve("log4j.properties"));
        command.add("-cp");
        command.add(home.resolve("lib") + File.separator + "*");
        command.add("org.apache.zeppelin.server.ZeppelinServer");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        Map<String, String> env = pb.environment();
        env.put("ZEPPELIN_HOME", home.toString());
        env.put("ZEPPELIN_CONF_DIR", conf.toString());
        env.put("ZEPPELIN_NOTEBOOK_DIR", notebook.toString());
        env.put("ZEPPELIN_ADDR", "127.0.0.1");
        env.put("ZEPPELIN_PORT", String.valueOf(port));
        // the interpreters' event server binds this address (else a non-loopback one)
        env.put("ZEPPELIN_LOCAL_IP", "127.0.0.1");
        // without it, ZeppelinServer.main reads stdin and exits
        env.put("ZEPPELIN_IDENT_STRING", "mlh");
        env.put("ZEPPELIN_WAR", web.toString());
        env.put("ZEPPELIN_ANGULAR_WAR", web.toString());
        env.put("ZEPPELIN_INTERPRETER_DIR", home.resolve("interpreter").toString());
        env.put("ZEPPELIN_LOG_DIR", run.toString());
        env.put("ZEPPELIN_PID_DIR", run.toString());
        env.put("MLH_ZEPPELIN_RUN", run.toString());
        env.put("MLH_ZEPPELIN_WORKDIR", work.toString());
        env.remove("SPARK_HOME"); // the interpreter runs the project's Spark jars (bin/interpreter.sh)
        File log = run.resolve("server.log").toFile();
        pb.redirectErrorStream(true).redirectOutput(log);
        ZeppelinProcess z = new ZeppelinProcess(pb.start(), dir, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            if (!z.server.isAlive()) {
                z.close();
                throw new IOException("the Zeppelin server exited with " + z.server.exitValue() + ": see " + log);
            }
            try {
                if (z.request("GET", "version", null).status == 200) return z;
            } catch (IOException notYet) {
                // still starting
            }
            if (System.nanoTime() > deadline) {
                z.close();
                throw new IOException("the Zeppelin server did not answer in " + timeoutSeconds + " s: see " + log);
            }
            Thread.sleep(500);
        }
    }

    /** The REST API's root, e.g. {@code http://127.0.0.1:41234/api/}. */
    public String api() {
        return "http://127.0.0.1:" + port + "/api/";
    }

    /** The directory the run keeps its state in. */
    public Path dir() {
        return dir;
    }

    /** A REST answer: its status and body. */
    public static final class Answer {
        public final int status;
        public final String body;

        Answer(int status, String body) {
            this.status = status;
            this.body = body;
        }
    }

    /** A REST call: {@code method} on {@code api() + path} with an optional JSON body. */
    public Answer request(String method, String path, String json) throws IOException {
        HttpURLConnection http = (HttpURLConnection) new URL(api() + path).openConnection();
        http.setRequestMethod(method);
        http.setConnectTimeout(5_000);
        http.setReadTimeout(600_000); // a paragraph run answers when the paragraph is done
        if (json != null) {
            http.setDoOutput(true);
            http.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = http.getOutputStream()) {
                out.write(json.getBytes(StandardCharsets.UTF_8));
            }
        }
        int status = http.getResponseCode();
        InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (in != null) {
            byte[] b = new byte[8192];
            for (int n; (n = in.read(b)) > 0; ) body.write(b, 0, n);
            in.close();
        }
        return new Answer(status, new String(body.toByteArray(), StandardCharsets.UTF_8));
    }

    /** Imports a note (a .zpln file's JSON) and returns the id the server gave it. */
    public String importNote(String noteJson) throws IOException {
        Answer a = request("POST", "notebook/import", noteJson);
        Matcher m = BODY.matcher(a.body);
        if (a.status != 200 || !m.find()) throw new IOException("importing a note failed: " + a.status + " " + a.body);
        return m.group(1);
    }

    /** Runs one paragraph and waits for it: the answer holds its status and results. */
    public Answer runParagraph(String noteId, String paragraphId) throws IOException {
        return request("POST", "notebook/run/" + noteId + "/" + paragraphId, "{}");
    }

    /** Stops the server, then every interpreter process it started (by the pids they wrote). */
    @Override
    public void close() throws InterruptedException, IOException {
        server.destroy();
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            server.waitFor();
        }
        File[] pids = dir.resolve("run")
                .toFile()
                .listFiles((d, name) -> name.endsWith(".pid") && name.startsWith("interpreter-"));
        for (File f : pids == null ? new File[0] : pids) {
            String pid = new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8).trim();
            if (!pid.matches("\\d+")) continue;
            signal("TERM", pid);
            if (!awaitExit(pid, 15)) {
                signal("KILL", pid);
                if (!awaitExit(pid, 60)) throw new IOException("interpreter process " + pid + " survived a KILL");
            }
            Files.delete(f.toPath()); // its log stays
        }
    }

    /** Waits until {@code pid} no longer runs, at most {@code seconds}: whether it ended. */
    private static boolean awaitExit(String pid, int seconds) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (alive(pid)) {
            if (System.nanoTime() > end) return false;
            Thread.sleep(100);
        }
        return true;
    }

    /**
     * Whether the process {@code pid} still runs: signal 0 reaches it and it is not a zombie (a process
     * that has ended but that no parent has reaped yet still takes signal 0).
     */
    public static boolean alive(String pid) throws IOException, InterruptedException {
        if (signal("0", pid) != 0) return false;
        Path proc = Paths.get("/proc");
        if (!Files.isDirectory(proc)) return true; // no /proc here: signal 0 is all there is to go by
        try {
            String s = new String(Files.readAllBytes(proc.resolve(pid).resolve("stat")), StandardCharsets.UTF_8);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z'; // "pid (comm) S ...": the state after the name
        } catch (IOException | StringIndexOutOfBoundsException ended) {
            return false; // gone since signal 0
        }
    }

    private static int signal(String signal, String pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, pid)
                .redirectErrorStream(true)
                .redirectOutput(new File("/dev/null"))
                .start();
        return kill.waitFor();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
