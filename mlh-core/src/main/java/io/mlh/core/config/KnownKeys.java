package io.mlh.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys {@code reference.conf} knows, against which a user's config is checked on load: a key it does
 * not know is refused with the nearest known one suggested (a typo would otherwise fall back to its
 * default silently), a renamed key with its new name, a value where a section belongs and the reverse.
 */
final class KnownKeys {
    private KnownKeys() {}

    private static final Set<String> KNOWN = new TreeSet<>(), SECTIONS = new TreeSet<>();

    static {
        for (Map.Entry<String, ConfigValue> e :
                ConfigFactory.defaultReference().getConfig(MlhConfig.ROOT).entrySet()) {
            KNOWN.add(e.getKey());
            List<String> parts = ConfigUtil.splitPath(e.getKey());
            for (int i = 1; i < parts.size(); i++) SECTIONS.add(ConfigUtil.joinPath(parts.subList(0, i)));
        }
    }

    /** Keys that were renamed, with their names now: refused, naming the new one. */
    private static final Map<String, String> RENAMED = new HashMap<>();

    static {
        RENAMED.put("jobs.top-k", "jobs.evaluate.map-at");
        RENAMED.put("jobs.evaluate.top-k", "jobs.evaluate.map-at");
    }

    /** Typos would otherwise fall back to a default silently. */
    static void rejectUnknown(Config c) {
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            String key = e.getKey();
            if (KNOWN.contains(key)) continue;
            if (RENAMED.containsKey(key))
                throw new ConfigError(full(key), "unknown key; did you mean '" + full(RENAMED.get(key)) + "'?");
            if (SECTIONS.contains(key)) {
                throw new ConfigError(
                        full(key),
                        "must be an object (a section of settings), got "
                                + e.getValue().render());
            }
            for (String known : KNOWN) {
                if (key.startsWith(known + "."))
                    throw new ConfigError(full(known), "must be a single value, not an object");
            }
            String near = nearest(key);
            throw new ConfigError(
                    full(key), "unknown key" + (near == null ? "" : "; did you mean '" + full(near) + "'?"));
        }
    }

    /** A known key with the same last segment, else the closest by edit distance if it is close. */
    private static String nearest(String key) {
        String last = key.substring(key.lastIndexOf('.') + 1);
        for (String k : KNOWN) if (k.equals(last) || k.endsWith("." + last)) return k;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : KNOWN) {
            int d = editDistance(key, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(
                        Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String full(String key) {
        return MlhConfig.ROOT + "." + key;
    }
}
