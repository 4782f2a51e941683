package io.mlh.zeppelin;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.zeppelin.interpreter.InterpreterHookRegistry;
import org.apache.zeppelin.interpreter.ZeppelinContext;
import org.apache.zeppelin.spark.SparkShims;

/**
 * The {@code z} of {@code SparkScala211Interpreter}: shows a data frame through Zeppelin's Spark
 * shims, as Zeppelin's own Spark context does, so that {@code %spark.sql} results are the TABLE
 * results Zeppelin's charts read.
 */
public final class SqlZeppelinContext extends ZeppelinContext {
    private final SparkSession spark;
    private final Properties properties;

    public SqlZeppelinContext(InterpreterHookRegistry hooks, int maxResult, SparkSession spark, Properties properties) {
        super(hooks, maxResult);
        this.spark = spark;
        this.properties = properties;
    }

    @Override
    public Map<String, String> getInterpreterClassMap() {
        Map<String, String> m = new HashMap<>();
        m.put("spark", "org.apache.zeppelin.spark.SparkInterpreter");
        m.put("sql", "org.apache.zeppelin.spark.SparkSqlInterpreter");
        return m;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List<Class> getSupportedClasses() {
        return Collections.singletonList(Dataset.class);
    }

    @Override
    public String showData(Object df, int maxResult) {
        try {
            return SparkShims.getInstance(spark.version(), properties, spark)
                    .showDataFrame(df, maxResult, getInterpreterContext());
        } catch (Exception e) {
            throw new IllegalStateException("Zeppelin's Spark shims could not show the result", e);
        }
    }
}
