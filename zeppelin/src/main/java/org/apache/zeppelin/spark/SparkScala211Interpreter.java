package org.apache.zeppelin.spark;

import io.mlh.zeppelin.SqlZeppelinContext;
import java.io.File;
import java.net.URLClassLoader;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.SparkSession;
import org.apache.zeppelin.interpreter.InterpreterContext;
import org.apache.zeppelin.interpreter.InterpreterGroup;
import org.apache.zeppelin.interpreter.InterpreterResult;
import org.apache.zeppelin.interpreter.ZeppelinContext;
import org.apache.zeppelin.interpreter.thrift.InterpreterCompletion;

/**
 * A stand-in for Zeppelin's Scala 2.11 Spark module ({@code spark-scala-2.11}, which Maven Central
 * does not carry): Zeppelin's {@link SparkInterpreter} loads this class by this name from
 * {@code interpreter/spark/scala-2.11/}. It gives the Spark interpreter group a {@link SparkSession} on
 * the interpreter's Spark properties and a {@link ZeppelinContext} that shows data frames as
 * Zeppelin's own does, which is all that {@code %spark.sql} (Zeppelin's {@code SparkSqlInterpreter})
 * and {@code %md} paragraphs need. It has no Scala REPL: a {@code %spark} (Scala) paragraph gets an
 * error saying so. The project's notes use {@code %md} and {@code %spark.sql} only.
 */
public class SparkScala211Interpreter extends AbstractSparkScalaInterpreter {
    private final SparkConf conf;
    private final Properties properties;
    private final InterpreterGroup group;
    private SparkSession spark;
    private SqlZeppelinContext z;

    /** The constructor {@link SparkInterpreter} calls, by reflection, with these argument types. */
    public SparkScala211Interpreter(
            SparkConf conf,
            List<String> dependencies,
            Properties properties,
            InterpreterGroup group,
            URLClassLoader loader,
            File outputDir) {
        this.conf = conf;
        this.properties = properties;
        this.group = group;
    }

    @Override
    public void open() {
        conf.setIfMissing("spark.master", properties.getProperty("spark.master", "local[*]"));
        conf.setIfMissing("spark.app.name", properties.getProperty("spark.app.name", "Zeppelin"));
        spark = SparkSession.builder().config(conf).getOrCreate();
        int maxResult = Integer.parseInt(properties.getProperty("zeppelin.spark.maxResult", "1000"));
        z = new SqlZeppelinContext(group.getInterpreterHookRegistry(), maxResult, spark, properties);
    }

    @Override
    public void close() {
        if (spark != null) spark.stop();
    }

    @Override
    public InterpreterResult interpret(String code, InterpreterContext context) {
        return new InterpreterResult(
                InterpreterResult.Code.ERROR,
                "this Zeppelin runs %spark.sql and %md paragraphs only: Scala paragraphs need Zeppelin's"
                        + " spark-scala-2.11 module, which is not published to Maven Central");
    }

    @Override
    public List<InterpreterCompletion> completion(String buf, int cursor, InterpreterContext context) {
        return Collections.emptyList();
    }

    @Override
    public int getProgress(String jobGroup, InterpreterContext context) {
        return 0;
    }

    @Override
    public SparkContext getSparkContext() {
        return spark.sparkContext();
    }

    @Override
    public SQLContext getSqlContext() {
        return spark.sqlContext();
    }

    @Override
    public Object getSparkSession() {
        return spark;
    }

    @Override
    public String getSparkUrl() {
        return spark.sparkContext().uiWebUrl().isDefined()
                ? spark.sparkContext().uiWebUrl().get()
                : null;
    }

    @Override
    public ZeppelinContext getZeppelinContext() {
        return z;
    }

    @Override
    public ClassLoader getScalaShellClassLoader() {
        return getClass().getClassLoader();
    }
}
