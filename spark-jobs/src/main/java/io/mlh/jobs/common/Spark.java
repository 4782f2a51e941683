package io.mlh.jobs.common;

import com.intel.analytics.bigdl.utils.Engine$;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Starts Spark for a job, with the settings BigDL needs, and initialises BigDL's engine on it. */
public final class Spark {
    private Spark() {}

    public static SparkSession start(String appName, JobSettings settings) {
        System.clearProperty("bigdl.localMode"); // the engine runs on Spark here
        SparkConf conf = Engine$.MODULE$.createSparkConf(new SparkConf()).setAppName(appName);
        if (!settings.master.isEmpty()) conf.setMaster(settings.master);
        if (!conf.contains("spark.ui.enabled")) conf.set("spark.ui.enabled", "false");
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        Engine$.MODULE$.init();
        return session;
    }
}
