package io.mlh.jobs.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An executor of a {@link StandaloneCluster} held still (SIGSTOP) with a task of a chosen kind of stage
 * in flight, found from the driver's log (Spark's own INFO lines: "Submitting ShuffleMapStage 7
 * (... at flatMapToPair at DistributedSearch.java:...)", "Starting task 3.0 in stage 7.0 (TID 41,
 * 127.0.0.1, executor 2, ...)"). A task the driver starts on an executor already stopped cannot
 * finish, so killing that executor's worker then loses a task of that stage, whatever the timing.
 */
final class FrozenExecutor {
    private static final Pattern STAGE = Pattern.compile("Submitting (?:ShuffleMap|Result)Stage (\\d+) \\((.*)\\)");
    private static final Pattern STARTED =
            Pattern.compile("Starting task \\S+ in stage (\\d+)\\.\\d+ \\(TID (\\d+), [^,]+, executor (\\d+),");

    final String executor, pid, stage, description;
    final int worker;

    /** A job on the cluster: its driver, the driver's log, the line after which its stages count, the workers killed. */
    static final class Job {
        final StandaloneCluster cluster;
        final Process driver;
        final Path log;
        final String after;
        final List<Integer> dead = new java.util.ArrayList<>();

        Job(StandaloneCluster cluster, Process driver, Path log, String after) {
            this.cluster = cluster;
            this.driver = driver;
            this.log = log;
            this.after = after;
        }
    }

    private FrozenExecutor(String executor, String pid, int worker, String stage, String description) {
        this.executor = executor;
        this.pid = pid;
        this.worker = worker;
        this.stage = stage;
        this.description = description;
    }

    /**
     * Stops one of the job's executors on a worker not in {@code dead} and waits for the driver to start
     * a task on it; keeps it stopped if that task's stage is described as {@code kind} accepts (after
     * {@code after}, a line of the log), else continues it and tries again, until {@code seconds} pass.
     */
    static FrozenExecutor withTaskOf(Job job, Predicate<String> kind, int seconds) throws Exception {
        StandaloneCluster cluster = job.cluster;
        List<Integer> dead = job.dead;
        Process driver = job.driver;
        Path log = job.log;
        String after = job.after;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int attempt = 0; System.nanoTime() < end; attempt++) {
            int worker = liveWorker(cluster, dead, attempt);
            String executor = executorOf(cluster, worker), pid = executorPid(executor);
            Faults.signal("STOP", pid);
            long offset = Files.size(log); // a task started after this line cannot have run
            String[] started = null;
            while (started == null && System.nanoTime() < end) {
                if (!driver.isAlive()) {
                    Faults.signal("CONT", pid);
                    throw new AssertionError(
                            "the job ended before a task ran on a stopped executor\n" + Jvm.tail(log, 30));
                }
                started = firstStarted(log, offset, executor);
                if (started == null) Thread.sleep(20);
            }
            if (started == null) break;
            String description = stageDescription(log, after, started[0]);
            if (description != null && kind.test(description))
                return new FrozenExecutor(executor, pid, worker, started[0], description);
            Faults.signal("CONT", pid);
        }
        throw new AssertionError(
                "no task of the stage wanted ran on a stopped executor in " + seconds + " s\n" + Jvm.tail(log, 30));
    }

    /**
     * Waits for the driver to start a task of a stage described as {@code kind} accepts (submitted after
     * the line containing {@code after}) on a worker not in {@code dead}, and stops its executor; keeps it
     * stopped if the executor had not finished that task (its own log says so, and a stopped process
     * writes no more), else continues it and waits for the next such task. For stages whose tasks
     * last long enough to be caught running (a write); {@link #withTaskOf} for any.
     */
    static FrozenExecutor midTaskOf(Job job, Predicate<String> kind, int seconds) throws Exception {
        StandaloneCluster cluster = job.cluster;
        List<Integer> dead = job.dead;
        Process driver = job.driver;
        Path log = job.log;
        String after = job.after;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds), offset = 0;
        while (System.nanoTime() < end) {
            if (!driver.isAlive())
                throw new AssertionError("the job ended before a task was caught running\n" + Jvm.tail(log, 30));
            byte[] all = Files.readAllBytes(log);
            int whole = lastNewline(all) + 1;
            Matcher m = STARTED.matcher(new String(all, (int) offset, whole - (int) offset, StandardCharsets.UTF_8));
            offset = whole;
            while (m.find()) {
                String stage = m.group(1), tid = m.group(2), executor = m.group(3);
                String description = stageDescription(log, after, stage);
                int worker = workerOf(cluster, executor);
                if (description == null || !kind.test(description) || dead.contains(worker)) continue;
                String pid = executorPid(executor);
                Faults.signal("STOP", pid);
                Path stderr = executorLog(cluster, worker, executor);
                if (!Pattern.compile("Finished task \\S+ in stage " + stage + "\\.\\d+ \\(TID " + tid + "\\)")
                        .matcher(Faults.read(stderr))
                        .find()) return new FrozenExecutor(executor, pid, worker, stage, description);
                Faults.signal("CONT", pid); // too late: it finished
            }
            Thread.sleep(5);
        }
        throw new AssertionError(
                "no task of the stage wanted caught running in " + seconds + " s\n" + Jvm.tail(log, 30));
    }

    private static int lastNewline(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) if (bytes[i] == '\n') return i;
        return -1;
    }

    /** The worker whose work directory holds executor {@code id} of the one application on the cluster. */
    private static int workerOf(StandaloneCluster cluster, String id) throws IOException {
        for (int w = 0; w < cluster.workers().size(); w++)
            if (executorOrEmpty(cluster, w).equals(id)) return w;
        throw new AssertionError("no worker runs executor " + id);
    }

    private static Path executorLog(StandaloneCluster cluster, int worker, String id) throws IOException {
        try (Stream<Path> apps = Files.list(cluster.workDir.resolve("worker-" + worker))) {
            for (Path app : apps.collect(Collectors.toList()))
                if (Files.exists(app.resolve(id).resolve("stderr")))
                    return app.resolve(id).resolve("stderr");
        }
        throw new AssertionError("no log of executor " + id + " on worker " + worker);
    }

    /** SIGKILLs this executor and its worker: a machine lost with the task in flight. */
    void killWithWorker(StandaloneCluster cluster) throws Exception {
        Faults.signal("KILL", pid);
        Faults.kill(cluster.workers().get(worker));
    }

    /** Whether the driver's log says this executor's task of this stage was lost with it. */
    boolean lossLogged(Path log) throws IOException {
        return Pattern.compile("Lost task \\S+ in stage " + stage + "\\.\\d+ \\(TID \\d+, [^,]+, executor " + executor
                        + "\\): ExecutorLostFailure")
                .matcher(Faults.read(log))
                .find();
    }

    @Override
    public String toString() {
        return "executor " + executor + " (worker " + worker + ") stopped in stage " + stage + " (" + description + ")";
    }

    private static int liveWorker(StandaloneCluster cluster, List<Integer> dead, int attempt) {
        List<Integer> live = new java.util.ArrayList<>();
        for (int w = 0; w < cluster.workers().size(); w++) if (!dead.contains(w)) live.add(w);
        return live.get(attempt % live.size());
    }

    private static String executorOf(StandaloneCluster cluster, int worker) throws IOException {
        String id = executorOrEmpty(cluster, worker);
        if (id.isEmpty()) throw new AssertionError("worker " + worker + " runs no executor");
        return id;
    }

    /** The executor the worker runs for the one application on the cluster ({@code work/<app>/<id>}), "" for none. */
    private static String executorOrEmpty(StandaloneCluster cluster, int worker) throws IOException {
        Path work = cluster.workDir.resolve("worker-" + worker);
        try (Stream<Path> apps = Files.list(work)) {
            for (Path app : apps.collect(Collectors.toList())) {
                try (Stream<Path> executors = Files.list(app)) {
                    List<Path> ids = executors.filter(Files::isDirectory).collect(Collectors.toList());
                    if (!ids.isEmpty())
                        return ids.get(ids.size() - 1).getFileName().toString();
                }
            }
        }
        return "";
    }

    /** The process of executor {@code id} (its JVM's command line names it). */
    private static String executorPid(String id) throws IOException {
        try (Stream<Path> processes = Files.list(java.nio.file.Paths.get("/proc"))) {
            for (Path p : processes.collect(Collectors.toList())) {
                if (!p.getFileName().toString().matches("\\d+")) continue;
                String cmd;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                if (cmd.contains("CoarseGrainedExecutorBackend") && cmd.contains("\0--executor-id\0" + id + "\0"))
                    return p.getFileName().toString();
            }
        }
        throw new AssertionError("no process of executor " + id);
    }

    /** The stage and TID of the first task started on {@code executor} in the log past {@code offset}. */
    private static String[] firstStarted(Path log, long offset, String executor) throws IOException {
        byte[] all = Files.readAllBytes(log);
        if (all.length <= offset) return null;
        Matcher m = STARTED.matcher(new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8));
        while (m.find()) if (m.group(3).equals(executor)) return new String[] {m.group(1), m.group(2)};
        return null;
    }

    /** How the driver described {@code stage} when it submitted it after the line containing {@code after}; null if before. */
    private static String stageDescription(Path log, String after, String stage) throws IOException {
        String text = Faults.read(log);
        int from = text.indexOf(after);
        if (from < 0) return null;
        Matcher m = STAGE.matcher(text.substring(from));
        String description = null;
        while (m.find()) if (m.group(1).equals(stage)) description = m.group(2);
        return description;
    }
}
