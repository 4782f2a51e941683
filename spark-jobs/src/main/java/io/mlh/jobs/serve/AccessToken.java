package io.mlh.jobs.serve;

import io.mlh.core.config.ConfigError;
import io.mlh.core.config.Key;
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
 * A token that a request must carry as {@code Authorization: Bearer <token>}: the admin token for what
 * changes the service's state ({@code POST /reload}), the optional search token for searches and images.
 * Read from a file named by a key or from the environment, compared in constant time (their SHA-256
 * digests, so not even the length shows), and never logged or reported: only its digest is kept.
 */
final class AccessToken {
    static final String ADMIN_VARIABLE = "MLH_SERVE_ADMIN_TOKEN", SEARCH_VARIABLE = "MLH_SERVE_SEARCH_TOKEN";

    private final byte[] digest;

    private AccessToken(String token) {
        this.digest = sha256(token);
    }

    /**
     * The admin token ({@link #optional}); a service bound beyond loopback refuses to start without one,
     * since {@code POST /reload} would answer anyone.
     */
    static AccessToken admin(Key<String> key, String file, String fromEnvironment, String host) throws IOException {
        AccessToken token = optional(key, file, fromEnvironment);
        if (token == null && !loopback(host)) {
            throw new ConfigError(
                    "mlh.jobs.serve.host",
                    host + " is reachable from other machines, and POST /reload would answer anyone: set "
                            + key.fullName() + " or " + ADMIN_VARIABLE + " (or bind 127.0.0.1)");
        }
        return token;
    }

    /**
     * The token in {@code file} (the value of {@code key}, "" for none), else {@code fromEnvironment}
     * (null or blank for none); null when neither gives one. A named file that is missing or empty is refused.
     */
    static AccessToken optional(Key<String> key, String file, String fromEnvironment) throws IOException {
        if (!file.isEmpty()) {
            Path p = Paths.get(file);
            if (!Files.isRegularFile(p)) throw new ConfigError(key.fullName(), "no such file: " + file);
            String token = new String(Files.readAllBytes(p), StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) throw new ConfigError(key.fullName(), file + " is empty");
            return new AccessToken(token);
        }
        return fromEnvironment == null || fromEnvironment.trim().isEmpty()
                ? null
                : new AccessToken(fromEnvironment.trim());
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
        return "access token (not shown)";
    }
}
