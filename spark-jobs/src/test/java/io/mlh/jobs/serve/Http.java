package io.mlh.jobs.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;

/** A real HTTP client (the JDK's) for the service tests: one request, its status and body. */
public final class Http {
    private Http() {}

    public static final class Response {
        public final int status;
        public final String body;
        /** The response's Retry-After header; null without one. */
        public final String retryAfter;

        Response(int status, String body, String retryAfter) {
            this.status = status;
            this.body = body;
            this.retryAfter = retryAfter;
        }
    }

    public static Response request(SearchServer server, String method, String path, String type, String body)
            throws IOException {
        return request(server, method, path, type, body == null ? null : body.getBytes(StandardCharsets.ISO_8859_1));
    }

    public static Response request(SearchServer server, String method, String path, String type, byte[] body)
            throws IOException {
        return request(server.uri(), method, path, type, body);
    }

    /** The same against a service at {@code base} ("http://127.0.0.1:8080/"), e.g. one in another JVM. */
    public static Response request(URI base, String method, String path, String type, byte[] body) throws IOException {
        return request(base, method, path, type, body, Collections.emptyMap());
    }

    /** The same with request {@code headers} ("Authorization" -> "Bearer ..."). */
    public static Response request(
            URI base, String method, String path, String type, byte[] body, Map<String, String> headers)
            throws IOException {
        HttpURLConnection c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
        c.setRequestMethod(method);
        headers.forEach(c::setRequestProperty);
        if (body != null) {
            c.setDoOutput(true);
            if (type != null) c.setRequestProperty("Content-Type", type);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            } catch (IOException e) { // the server may answer 413 and close before the body is all sent
            }
        }
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; in != null && (n = in.read(buffer)) > 0; ) bytes.write(buffer, 0, n);
        return new Response(
                status, new String(bytes.toByteArray(), StandardCharsets.UTF_8), c.getHeaderField("Retry-After"));
    }

    /** A multipart/form-data body with one file part and text parts, and its content type. */
    public static String[] multipart(byte[] file, String fileName, String... fields) {
        String boundary = "mlh-boundary-7f3a";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i + 1 < fields.length; i += 2)
            b.append("--")
                    .append(boundary)
                    .append("\r\nContent-Disposition: form-data; name=\"")
                    .append(fields[i])
                    .append("\"\r\n\r\n")
                    .append(fields[i + 1])
                    .append("\r\n");
        b.append("--")
                .append(boundary)
                .append("\r\nContent-Disposition: form-data; name=\"image\"; filename=\"")
                .append(fileName)
                .append("\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .append(new String(file, StandardCharsets.ISO_8859_1))
                .append("\r\n--")
                .append(boundary)
                .append("--\r\n");
        return new String[] {"multipart/form-data; boundary=" + boundary, b.toString()};
    }
}
