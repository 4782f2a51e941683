package io.mlh.jdk17;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import org.apache.xbean.asm6.ClassReader;
import org.apache.xbean.asm6.ClassVisitor;
import org.apache.xbean.asm6.ClassWriter;
import org.apache.xbean.asm6.MethodVisitor;
import org.apache.xbean.asm6.Opcodes;

/**
 * Rewrites the body of Spark 2.4's {@code StorageUtils$.cleanDirectBuffer(DirectBuffer)} (the object
 * behind {@code StorageUtils.dispose}) to {@code DirectBufferCleaner.clean(buffer)}. Nothing else in
 * the class changes. The argument is a class file, patched in place, or a jar whose
 * {@code org/apache/spark/storage/StorageUtils$.class} entry is patched in place. Idempotent; fails
 * unless it finds that method.
 */
public final class PatchStorageUtils {
    static final String ENTRY = "org/apache/spark/storage/StorageUtils$.class";
    private static final String METHOD = "cleanDirectBuffer", DESC = "(Lsun/nio/ch/DirectBuffer;)V";
    private static final String CLEANER = "io/mlh/jdk17/DirectBufferCleaner";

    private PatchStorageUtils() {}

    public static void main(String[] args) throws IOException {
        Path file = Paths.get(args[0]);
        if (file.toString().endsWith(".jar")) {
            URI jar = URI.create("jar:" + file.toAbsolutePath().toUri());
            try (FileSystem zip = FileSystems.newFileSystem(jar, Collections.<String, Object>emptyMap())) {
                patch(zip.getPath(ENTRY), file + "!/" + ENTRY);
            }
        } else {
            patch(file, file.toString());
        }
    }

    private static void patch(Path classFile, String name) throws IOException {
        byte[] patched = patch(Files.readAllBytes(classFile));
        if (patched == null) return; // already patched
        Files.write(classFile, patched);
        System.out.println("patched " + METHOD + " of " + name + " to call " + CLEANER.replace('/', '.'));
    }

    /** The patched class, or null if {@code original} is patched already. */
    static byte[] patch(byte[] original) {
        ClassReader reader = new ClassReader(original);
        if (new String(original, StandardCharsets.ISO_8859_1).contains(CLEANER)) return null;
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] found = {false};
        reader.accept(
                new ClassVisitor(Opcodes.ASM6, writer) {
                    @Override
                    public MethodVisitor visitMethod(
                            int access, String name, String desc, String sig, String[] exceptions) {
                        MethodVisitor mv = super.visitMethod(access, name, desc, sig, exceptions);
                        if (!METHOD.equals(name) || !DESC.equals(desc)) return mv;
                        found[0] = true;
                        // this.cleanDirectBuffer(buffer) { DirectBufferCleaner.clean(buffer); }, straight-line
                        // code, so no stack map frames; the original body is dropped by returning no visitor
                        mv.visitCode();
                        mv.visitVarInsn(Opcodes.ALOAD, 1);
                        mv.visitMethodInsn(Opcodes.INVOKESTATIC, CLEANER, "clean", "(Ljava/lang/Object;)V", false);
                        mv.visitInsn(Opcodes.RETURN);
                        mv.visitMaxs(1, 2);
                        mv.visitEnd();
                        return null;
                    }
                },
                0);
        if (!found[0]) throw new IllegalStateException(ENTRY + ": no " + METHOD + DESC + " to patch");
        return writer.toByteArray();
    }
}
