package io.mlh.jdk17;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Raises the class-file version bound of xbean's shaded ASM 6 ClassReader from 54 (Java 10) to 127.
 * The check compiles to {@code invokevirtual readShort; bipush 54; if_icmple}; only the bipush
 * operand changes, so no offset, constant or frame moves. Idempotent; fails unless it finds exactly
 * one such check (or one already patched).
 */
public final class PatchClassVersionCheck {
    private static final int INVOKEVIRTUAL = 0xb6, BIPUSH = 0x10, IF_ICMPLE = 0xa4, OLD = 54, NEW = 127;

    private PatchClassVersionCheck() {}

    public static void main(String[] args) throws IOException {
        Path file = Paths.get(args[0]);
        byte[] b = Files.readAllBytes(file);
        int found = -1, patched = 0;
        for (int i = 0; i + 5 < b.length; i++) {
            if ((b[i] & 0xff) == INVOKEVIRTUAL && (b[i + 3] & 0xff) == BIPUSH && (b[i + 5] & 0xff) == IF_ICMPLE) {
                if (b[i + 4] == OLD) {
                    if (found >= 0) throw new IllegalStateException(file + ": more than one version check found");
                    found = i + 4;
                } else if (b[i + 4] == NEW) {
                    patched++;
                }
            }
        }
        if (found < 0) {
            if (patched == 1) return; // already patched
            throw new IllegalStateException(file + ": the class-file version check was not found");
        }
        b[found] = NEW;
        Files.write(file, b);
        System.out.println("patched the class-file version bound of " + file + " to " + NEW);
    }
}
