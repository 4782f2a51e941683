package io.mlh.jobs.common;

import io.mlh.core.bigdl.BigDL;
import io.mlh.core.bigdl.ComputeEngine;
import io.mlh.core.config.MlhConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/** Starts Spark for a job, with the settings BigDL needs, and initialises BigDL's engine on it. */
public final class Spark {
    private Spark() {}

    /** A job's body, given its session and settings; returns what it reports. */
    public interface Job {
        Object run(SparkSession spark, JobSettings settings) throws Exception;
    }

    /** A job's main: its command line, a session around the body, its result printed. */
    public static void main(Command command, String[] args, Job job) {
        command.main(args, s -> {
            SparkSession spark = start(command.name(), s);
            try {
                System.out.println(command.name() + ": " + job.run(spark, s));
            } finally {
                spark.stop();
            }
        });
    }

    /**
     * Waits (at most a minute) until no task of this application runs; whether none does. A failed
     * Spark job returns while its other tasks still run, and a task may still create files in a staging
     * directory the job is about to remove: call this before {@link CommittedOutput#abandon}. Counts
     * tasks with the listener {@link #start} registered.
     */
    public static boolean awaitNoRunningTasks(SparkSession spark) {
        return awaitNoRunningTasks(spark.sparkContext());
    }

    /**
     * The same for a context not started by {@link #start}: its first call registers the counter, so
     * make it before any task runs.
     */
    public static boolean awaitNoRunningTasks(SparkContext sc) {
        try {
            return RunningTasks.of(sc).awaitNone(sc, 60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The bad-input error (an {@link IllegalArgumentException} naming the record and the reason) that
     * a task threw behind a failed Spark job, whose own message says only "Job aborted."; null if none.
     */
    public static IllegalArgumentException badInput(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause())
            if (t instanceof IllegalArgumentException) return (IllegalArgumentException) t;
        return null;
    }

    public static SparkSession start(String appName, JobSettings settings) {
        System.clearProperty("bigdl.localMode"); // the engine runs on Spark here
        MlhConfig.Engine engine = settings.model.engine();
        ComputeEngine.select(engine); // JVM-wide: before BigDL's engine class loads (createSparkConf loads it)
        SparkConf conf = BigDL.sparkConf(new SparkConf()).setAppName(appName);
        // executors in their own JVMs read the engine type from a system property too
        String executorOpts = conf.get("spark.executor.extraJavaOptions", "");
        if (!executorOpts.contains("bigdl.engineType")) {
            conf.set(
                    "spark.executor.extraJavaOptions",
                    (executorOpts + " -Dbigdl.engineType=" + engine.configName()).trim());
        }
        if (!settings.master.isEmpty()) conf.setMaster(settings.master);
        if (conf.contains("spark.master")) conf.setMaster(withExplicitThreads(conf.get("spark.master")));
        if (!conf.contains("spark.ui.enabled")) conf.set("spark.ui.enabled", "false");
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        RunningTasks.of(session.sparkContext()); // counts tasks from the first one on
        BigDL.initEngine();
        return session;
    }

    /**
     * {@code local[*]} as {@code local[n]}, n the JVM's processors: Spark runs {@code local[*]} on all of
     * them, but BigDL's engine reads it as half as many (it assumes hyper-threading) and trains one model
     * replica a core on that half; on a 2-core machine it trains on one core.
     */
    static String withExplicitThreads(String master) {
        return "local[*]".equals(master.trim())
                ? "local[" + Runtime.getRuntime().availableProcessors() + "]"
                : master;
    }
}
