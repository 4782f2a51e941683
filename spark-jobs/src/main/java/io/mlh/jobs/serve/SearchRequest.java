package io.mlh.jobs.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mlh.core.codes.Int8Codes;
import io.mlh.core.codes.PackedCodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One {@code POST /search}, parsed and checked: a code (JSON {@code {"code": "<hex>"}} or {@code
 * {"code": [<long>, ...]}}) or an image (the raw body, or the {@code image} part of a multipart form),
 * and {@code k} and {@code max-distance} from the query string, the JSON or the form. Anything
 * else is a {@link BadRequest} saying what is wrong.
 */
final class SearchRequest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The query's packed code, or null when it is an image. */
    final long[] code;
    /** The code query's continuous code as int8 ({@code "continuous"}: q values), or null when it has none. */
    final byte[] int8;
    /** The uploaded image, or null when the query is a code. */
    final byte[] image;

    final int k, maxDistance;
    /** Whether the answer carries each neighbour's thumbnail from the shard table ({@code thumbnails=1}). */
    final boolean thumbnails;

    private SearchRequest(long[] code, byte[] int8, byte[] image, int k, int maxDistance, boolean thumbnails) {
        this.code = code;
        this.int8 = int8;
        this.image = image;
        this.k = k;
        this.maxDistance = maxDistance;
        this.thumbnails = thumbnails;
    }

    /**
     * Parses a request of {@code contentType} with {@code body} (at most {@code maxBody} bytes) and the
     * URI's raw {@code query}, for codes of {@code bits} bits and k up to {@code maxK}.
     */
    static SearchRequest parse(String contentType, InputStream body, long maxBody, String query, int bits, int maxK)
            throws IOException {
        byte[] bytes = read(body, maxBody);
        Map<String, String> params = params(query);
        String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        long[] code = null;
        byte[] image = null, int8 = null;
        if (type.startsWith("application/json")) {
            JsonNode json;
            try {
                json = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new BadRequest(
                        400, "the body is not JSON: " + e.getMessage().split("\n")[0]);
            }
            if (json == null || !json.isObject())
                throw new BadRequest(400, "the body must be a JSON object with a code");
            JsonNode c = json.get("code");
            if (c == null) throw new BadRequest(400, "the JSON has no \"code\"");
            code = code(c, bits);
            if (json.has("continuous")) int8 = continuous(json.get("continuous"), bits);
            for (String key : new String[] {"k", "max-distance"})
                if (json.has(key)) params.put(key, json.get(key).asText());
        } else if (type.startsWith("multipart/form-data")) {
            Multipart form = Multipart.parse(bytes, type);
            image = form.parts.get("image");
            if (image == null) throw new BadRequest(400, "the form has no part named \"image\"");
            for (String key : new String[] {"k", "max-distance"})
                if (form.parts.containsKey(key))
                    params.put(key, new String(form.parts.get(key), StandardCharsets.UTF_8).trim());
        } else {
            image = bytes;
        }
        int k = integer(params, "k", 10);
        if (k < 1 || k > maxK) throw new BadRequest(400, "k must be between 1 and " + maxK + ", got " + k);
        int maxDistance = integer(params, "max-distance", -1);
        if (maxDistance < -1 || maxDistance > bits)
            throw new BadRequest(
                    400, "max-distance must be -1 (none) or between 0 and " + bits + ", got " + maxDistance);
        int thumbnails = integer(params, "thumbnails", 0);
        if (thumbnails != 0 && thumbnails != 1)
            throw new BadRequest(400, "thumbnails must be 0 or 1, got " + thumbnails);
        return new SearchRequest(code, int8, image, k, maxDistance, thumbnails == 1);
    }

    /** A continuous code (q numbers, the encode job's {@code continuous} column) as int8 ({@code Int8Codes}). */
    static byte[] continuous(JsonNode c, int bits) {
        if (!c.isArray() || c.size() != bits)
            throw new BadRequest(400, "\"continuous\" must be an array of " + bits + " numbers");
        float[] u = new float[bits];
        for (int i = 0; i < bits; i++) {
            if (!c.get(i).isNumber())
                throw new BadRequest(400, "\"continuous\" value " + i + " is not a number: " + c.get(i));
            u[i] = (float) c.get(i).asDouble();
        }
        return Int8Codes.quantize(u, 0, bits);
    }

    /** A code as hex (16 digits a 64-bit word, most significant first, words in order) or an array of words. */
    static long[] code(JsonNode c, int bits) {
        int words = PackedCodes.wordsFor(bits);
        long[] out = new long[words];
        if (c.isTextual()) {
            String hex = c.asText().trim();
            if (hex.length() != 16 * words)
                throw new BadRequest(
                        400, "a " + bits + "-bit code is " + 16 * words + " hex digits, got " + hex.length());
            for (int w = 0; w < words; w++) {
                try {
                    out[w] = Long.parseUnsignedLong(hex.substring(16 * w, 16 * w + 16), 16);
                } catch (NumberFormatException e) {
                    throw new BadRequest(400, "the code is not hex: \"" + hex + "\"");
                }
            }
        } else if (c.isArray()) {
            if (c.size() != words)
                throw new BadRequest(400, "a " + bits + "-bit code is " + words + " 64-bit words, got " + c.size());
            for (int w = 0; w < words; w++) {
                if (!c.get(w).canConvertToLong())
                    throw new BadRequest(400, "word " + w + " of the code is not a 64-bit integer: " + c.get(w));
                out[w] = c.get(w).asLong();
            }
        } else {
            throw new BadRequest(400, "\"code\" must be a hex string or an array of 64-bit words");
        }
        long unused = bits % 64 == 0 ? 0 : -1L << (bits % 64);
        if ((out[words - 1] & unused) != 0)
            throw new BadRequest(400, "the code has bits set beyond bit " + bits + ": " + Arrays.toString(out));
        return out;
    }

    private static byte[] read(InputStream body, long maxBody) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        for (int n; (n = body.read(buffer)) > 0; ) {
            out.write(buffer, 0, n);
            if (out.size() > maxBody) throw new BadRequest(413, "the body is larger than " + maxBody + " bytes");
        }
        return out.toByteArray();
    }

    private static Map<String, String> params(String query) throws IOException {
        Map<String, String> out = new HashMap<>();
        if (query == null || query.isEmpty()) return out;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), "UTF-8");
            out.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), "UTF-8"));
        }
        return out;
    }

    private static int integer(Map<String, String> params, String key, int otherwise) {
        String v = params.get(key);
        if (v == null) return otherwise;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest(400, key + " must be an integer, got \"" + v + "\"");
        }
    }

    /** The parts of a multipart/form-data body by their names. */
    static final class Multipart {
        final Map<String, byte[]> parts = new HashMap<>();

        static Multipart parse(byte[] body, String contentType) {
            int at = contentType.indexOf("boundary=");
            if (at < 0) throw new BadRequest(400, "the multipart body names no boundary");
            String boundary = contentType
                    .substring(at + "boundary=".length())
                    .split(";")[0]
                    .trim();
            if (boundary.startsWith("\"") && boundary.endsWith("\"") && boundary.length() > 1)
                boundary = boundary.substring(1, boundary.length() - 1);
            byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            Multipart m = new Multipart();
            int from = indexOf(body, delimiter, 0);
            if (from < 0) throw new BadRequest(400, "the multipart body has no part");
            while (true) {
                int start = from + delimiter.length;
                if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') break; // the last one
                int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
                int next = indexOf(body, delimiter, start);
                if (headersEnd < 0 || next < 0 || headersEnd > next)
                    throw new BadRequest(400, "the multipart body is cut short");
                String headers = new String(body, start, headersEnd - start, StandardCharsets.ISO_8859_1);
                int contentEnd = next - 2; // the CRLF before the delimiter
                byte[] content = Arrays.copyOfRange(body, headersEnd + 4, Math.max(headersEnd + 4, contentEnd));
                String name = name(headers);
                if (name != null) m.parts.put(name, content);
                from = next;
            }
            return m;
        }

        private static final java.util.regex.Pattern NAME =
                java.util.regex.Pattern.compile("(?i)(?<![a-z])name=\"([^\"]*)\"");

        private static String name(String headers) {
            java.util.regex.Matcher m = NAME.matcher(headers);
            return m.find() ? m.group(1) : null;
        }

        private static int indexOf(byte[] a, byte[] b, int from) {
            outer:
            for (int i = from; i <= a.length - b.length; i++) {
                for (int j = 0; j < b.length; j++) if (a[i + j] != b[j]) continue outer;
                return i;
            }
            return -1;
        }
    }
}
