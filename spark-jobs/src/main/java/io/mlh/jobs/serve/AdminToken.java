package io.mlh.jobs.serve;

import io.mlh.core.config.ConfigError;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The token that requests changing the service's state ({@code POST /reload}) must carry as
 * {@code Authorization: Bearer <token>}: read from {@code jobs.serve.admin-token-file} or the
 * environment variable {@value #VARIABLE}, compared in constant time (their SHA-256 digests, so not
 * even the length shows), and never logged or reported.
 */
final class AdminToken {
    static final String VARIABLE = "MLH_SERVE_ADMIN_TOKEN";

    private final byte[] digest;

    private AdminToken(String token) {
        this.digest = sha256(token);
    }

    /**
     * The token of {@code file} ("" for none) or of the environment's {@code fromEnvironment} (null for
     * none); null when neither gives one. A service bound beyond loopback refuses to start without one.
     */
    static AdminToken of(String file, String fromEnvironment, String host) throws IOException {
        String token = null;
        if (!file.isEmpty()) {
            Path p = Paths.get(file);
            if (!Files.isRegularFile(p))
                throw new ConfigError("mlh.jobs.serve.admin-token-file", "no such file: " + file);
            token = new String(Files.readAllBytes(p), StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) throw new ConfigError("mlh.jobs.serve.admin-token-file", file + " is empty");
        } else if (fromEnvironment != null && !fromEnvironment.trim().isEmpty()) {
            token = fromEnvironment.trim();
        }
        if (token == null && !loopback(host)) {
            throw new ConfigError(
                    "mlh.jobs.serve.host",
                    host + " is reachable from other machines, and POST /reload would answer anyone: set"
                            + " jobs.serve.admin-token-file or " + VARIABLE + " (or bind 127.0.0.1)");
        }
        return token == null ? null : new AdminToken(token);
    }

    /** Whether an {@code Authorization} header (null when absent) carries this token. */
    boolean accepts(String authorization) {
        String prefix = "Bearer ";
        if (authorization == null || !authorization.startsWith(prefix)) return false;
        return MessageDigest.isEqual(
                digest, sha256(authorization.substring(prefix.length()).trim()));
    }

    /** Whether {@code host} is reachable from this machine alone (0.0.0.0 is every interface: it is not). */
    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "admin token (not shown)";
    }
}
