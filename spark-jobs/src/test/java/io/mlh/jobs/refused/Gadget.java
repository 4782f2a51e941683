package io.mlh.jobs.refused;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Java-serialised object whose deserialisation runs code, as a crafted file's would: the tests plant
 * its bytes where a model or optimiser state belongs and check the code never ran.
 */
final class Gadget implements Serializable {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean RAN = new AtomicBoolean();

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        RAN.set(true);
    }

    static byte[] bytes() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(b)) {
            out.writeObject(new Gadget());
        }
        return b.toByteArray();
    }
}
