package io.mlh.zeppelin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.File;
import java.io.IOException;

/**
 * Build step: keeps, of the Spark interpreter group's {@code interpreter-setting.json} (unpacked from
 * Zeppelin's spark-interpreter jar), the interpreters this ZEPPELIN_HOME can run, {@code spark} and
 * {@code sql}. The server creates every interpreter of a group when the first paragraph runs, and
 * PySpark, R, Kotlin and the rest need libraries this home does not ship.
 *
 * <p>Argument: the file, rewritten in place.
 */
public final class SqlOnlySparkSetting {
    private SqlOnlySparkSetting() {}

    public static void main(String[] args) throws IOException {
        File file = new File(args[0]);
        ObjectMapper json = new ObjectMapper();
        JsonNode all = json.readTree(file);
        ArrayNode kept = json.createArrayNode();
        for (JsonNode setting : all) {
            String name = setting.path("name").asText();
            if (name.equals("spark") || name.equals("sql")) kept.add(setting);
        }
        if (kept.size() != 2) throw new IOException(file + " has no spark and sql interpreters: " + all);
        json.writerWithDefaultPrettyPrinter().writeValue(file, kept);
    }
}
