package io.mlh.jdk17;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees the native memory of a direct or memory-mapped {@link ByteBuffer} now rather than at GC, on
 * Java 8 and on Java 9+. Spark 2.4's {@code StorageUtils} links {@code DirectBuffer.cleaner()} with
 * its Java 8 return type {@code sun.misc.Cleaner}, which Java 9 moved, so on JDK 17 every spill read
 * back failed with NoSuchMethodError; {@link PatchStorageUtils} makes it call {@link #clean} instead.
 * Java 9+ frees through {@code sun.misc.Unsafe.invokeCleaner}, Java 8 through the buffer's cleaner,
 * both found by reflection so this class links on either. As before, views (slices, duplicates) and
 * heap buffers are left alone: only the buffer that owns the memory may free it.
 */
public final class DirectBufferCleaner {
    /** {@code Unsafe.invokeCleaner} bound to the Unsafe instance (Java 9+), or null on Java 8. */
    private static final MethodHandle INVOKE_CLEANER = unsafeInvokeCleaner();
    /** Java 8's {@code DirectBuffer.cleaner()} and {@code Cleaner.clean()}, when INVOKE_CLEANER is null. */
    private static final Method CLEANER, CLEAN;

    static {
        Method cleaner = null, clean = null;
        if (INVOKE_CLEANER == null) {
            try {
                cleaner = Class.forName("sun.nio.ch.DirectBuffer").getMethod("cleaner");
                clean = Class.forName("sun.misc.Cleaner").getMethod("clean");
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        CLEANER = cleaner;
        CLEAN = clean;
    }

    private DirectBufferCleaner() {}

    /** Frees {@code buffer}'s memory if it is a direct buffer owning it; otherwise does nothing. */
    public static void clean(Object buffer) {
        if (!(buffer instanceof ByteBuffer) || !((ByteBuffer) buffer).isDirect()) return;
        try {
            if (INVOKE_CLEANER != null) {
                INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
            } else {
                Object cleaner = CLEANER.invoke(buffer);
                if (cleaner != null) CLEAN.invoke(cleaner);
            }
        } catch (IllegalArgumentException view) {
            // invokeCleaner refuses slices and duplicates; Java 8 gives them no cleaner: nothing to free
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("could not free a direct buffer", e);
        }
    }

    private static MethodHandle unsafeInvokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Method invokeCleaner = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            return MethodHandles.lookup()
                    .unreflect(invokeCleaner)
                    .bindTo(theUnsafe.get(null))
                    .asType(MethodType.methodType(void.class, ByteBuffer.class));
        } catch (NoSuchMethodException java8) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
