package io.mlh.core.model.pretrained;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Python's pickle format (protocols 0 to 4) read as data, never as code: a global such as
 * {@code collections.OrderedDict} is a {@link Global} name, a call {@code REDUCE}s to a {@link Call}
 * unless {@code calls} knows the callable, and nothing a file names is ever loaded or run. Persistent ids
 * (how torch's pickles point at tensor storages kept outside the pickle) are resolved by {@code
 * persistent}.
 *
 * <p>Values: {@code None} is null, ints are Long (BigInteger beyond 64 bits), floats Double, str String,
 * bytes byte[], dicts LinkedHashMap (insertion order kept), lists ArrayList, tuples {@link Tuple}, sets
 * LinkedHashSet. Spark 2.4 ships pyrolite 4.13, which has no persistent-id hook; this is the project's own.
 */
public final class Unpickler {
    /** A module-level name, as GLOBAL / STACK_GLOBAL give it. */
    public static final class Global {
        public final String module, name;

        Global(String module, String name) {
            this.module = module;
            this.name = name;
        }

        public boolean is(String qualified) {
            return qualified.equals(module + "." + name);
        }

        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A call (REDUCE, NEWOBJ) of a callable the reader does not evaluate, with its later BUILD state. */
    public static final class Call {
        public final Object callable;
        public final Tuple args;
        public Object state;

        Call(Object callable, Tuple args) {
            this.callable = callable;
            this.args = args;
        }

        @Override
        public String toString() {
            return callable + args.toString();
        }
    }

    /** An immutable Python tuple. */
    public static final class Tuple {
        private final Object[] items;

        Tuple(Object... items) {
            this.items = items;
        }

        public int size() {
            return items.length;
        }

        public Object get(int i) {
            return items[i];
        }

        @Override
        public String toString() {
            return "("
                    + String.join(
                            ", ", Arrays.stream(items).map(String::valueOf).toArray(String[]::new)) + ")";
        }
    }

    /** Evaluates calls of known callables: {@code apply} returns the value, or null to keep the {@link Call}. */
    public interface Calls {
        Object apply(Global callable, Tuple args);
    }

    private static final Object MARK = new Object();

    private final byte[] in;
    private int at;
    private final Function<Object, Object> persistent;
    private final Calls calls;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(byte[] in, Function<Object, Object> persistent, Calls calls) {
        this.in = in;
        this.persistent = persistent;
        this.calls = calls;
    }

    /** The object {@code pickle} holds; an IOException names the opcode and position of anything malformed. */
    public static Object load(byte[] pickle, Function<Object, Object> persistent, Calls calls) throws IOException {
        try {
            return new Unpickler(pickle, persistent, calls).run();
        } catch (IndexOutOfBoundsException | ClassCastException | NegativeArraySizeException e) {
            throw new IOException("malformed pickle: " + e, e);
        }
    }

    private Object run() throws IOException {
        while (true) {
            if (at >= in.length) throw new IOException("pickle ends at byte " + at + " without STOP: truncated");
            int op = in[at++] & 0xff;
            switch (op) {
                case 0x80: // PROTO
                    if (u8() > 5) throw new IOException("pickle protocol above 5");
                    break;
                case 0x95: // FRAME: framing only
                    bytes(8);
                    break;
                case '.': // STOP
                    return pop();
                case '(':
                    marks.add(stack.size());
                    push(MARK);
                    break;
                case '0':
                    pop();
                    break;
                case '1':
                    popMark();
                    break;
                case '2':
                    push(top());
                    break;
                case 'N':
                    push(null);
                    break;
                case 0x88:
                    push(Boolean.TRUE);
                    break;
                case 0x89:
                    push(Boolean.FALSE);
                    break;
                case 'K':
                    push((long) u8());
                    break;
                case 'M':
                    push((long) (u8() | u8() << 8));
                    break;
                case 'J':
                    push((long) le(4).getInt());
                    break;
                case 0x8a: // LONG1
                    push(longOf(bytes(u8())));
                    break;
                case 0x8b: // LONG4
                    push(longOf(bytes(le(4).getInt())));
                    break;
                case 'I': // INT, text (01 / 00 are True / False in protocol 0)
                    push(textInt(line()));
                    break;
                case 'L':
                    push(narrow(new BigInteger(stripL(line()))));
                    break;
                case 'G':
                    push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                    break;
                case 'F':
                    push(Double.parseDouble(line()));
                    break;
                case 'X': // BINUNICODE
                    push(utf8(le(4).getInt()));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    push(utf8(u8()));
                    break;
                case 0x8d: // BINUNICODE8
                    push(utf8(Math.toIntExact(le(8).getLong())));
                    break;
                case 'V': // UNICODE, raw-unicode-escape text
                    push(line());
                    break;
                case 'T': // BINSTRING (Python 2 str)
                    push(new String(bytes(le(4).getInt()), StandardCharsets.ISO_8859_1));
                    break;
                case 'U':
                    push(new String(bytes(u8()), StandardCharsets.ISO_8859_1));
                    break;
                case 'B':
                    push(bytes(le(4).getInt()));
                    break;
                case 'C':
                    push(bytes(u8()));
                    break;
                case 0x8e: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    push(bytes(Math.toIntExact(le(8).getLong())));
                    break;
                case '}':
                    push(new LinkedHashMap<>());
                    break;
                case ']':
                    push(new ArrayList<>());
                    break;
                case ')':
                    push(new Tuple());
                    break;
                case 0x8f: // EMPTY_SET
                    push(new LinkedHashSet<>());
                    break;
                case 'd':
                    push(dictOf(popMark()));
                    break;
                case 'l':
                    push(new ArrayList<>(popMark()));
                    break;
                case 't':
                    push(new Tuple(popMark().toArray()));
                    break;
                case 0x91: // FROZENSET
                    push(new LinkedHashSet<>(popMark()));
                    break;
                case 0x85:
                    push(new Tuple(pop()));
                    break;
                case 0x86: {
                    Object b = pop(), a = pop();
                    push(new Tuple(a, b));
                    break;
                }
                case 0x87: {
                    Object c = pop(), b = pop(), a = pop();
                    push(new Tuple(a, b, c));
                    break;
                }
                case 's': {
                    Object v = pop(), k = pop();
                    asMap(top()).put(k, v);
                    break;
                }
                case 'u': {
                    List<Object> kv = popMark();
                    asMap(top()).putAll(dictOf(kv));
                    break;
                }
                case 'a': {
                    Object v = pop();
                    asList(top()).add(v);
                    break;
                }
                case 'e': {
                    List<Object> vs = popMark();
                    asList(top()).addAll(vs);
                    break;
                }
                case 0x90: { // ADDITEMS
                    List<Object> vs = popMark();
                    asSet(top()).addAll(vs);
                    break;
                }
                case 'c': // GLOBAL
                    push(new Global(line(), line()));
                    break;
                case 0x93: { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    push(new Global((String) module, (String) name));
                    break;
                }
                case 'R': {
                    Object args = pop(), callable = pop();
                    push(call(callable, (Tuple) args));
                    break;
                }
                case 0x81: { // NEWOBJ
                    Object args = pop(), cls = pop();
                    push(call(cls, (Tuple) args));
                    break;
                }
                case 0x92: { // NEWOBJ_EX: keyword arguments are kept out of the call
                    pop();
                    Object args = pop(), cls = pop();
                    push(call(cls, (Tuple) args));
                    break;
                }
                case 'b': { // BUILD: an object's state (torch's OrderedDict gets its _metadata this way)
                    Object state = pop();
                    Object target = top();
                    if (target instanceof Call) ((Call) target).state = state;
                    break;
                }
                case 'Q': // BINPERSID
                    push(persistent.apply(pop()));
                    break;
                case 'P': // PERSID
                    push(persistent.apply(line()));
                    break;
                case 'q':
                    memo.put((long) u8(), top());
                    break;
                case 'r':
                    memo.put(le(4).getInt() & 0xffffffffL, top());
                    break;
                case 'p':
                    memo.put(Long.parseLong(line()), top());
                    break;
                case 0x94: // MEMOIZE
                    memo.put((long) memo.size(), top());
                    break;
                case 'h':
                    push(memo((long) u8()));
                    break;
                case 'j':
                    push(memo(le(4).getInt() & 0xffffffffL));
                    break;
                case 'g':
                    push(memo(Long.parseLong(line())));
                    break;
                default:
                    throw new IOException(String.format(
                            "pickle opcode 0x%02x at byte %d is not one a checkpoint's pickle uses", op, at - 1));
            }
        }
    }

    private Object call(Object callable, Tuple args) {
        if (callable instanceof Global) {
            Global g = (Global) callable;
            if (g.is("collections.OrderedDict") || g.is("builtins.dict") || g.is("__builtin__.dict")) {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (args.size() > 0 && args.get(0) instanceof List) {
                    for (Object pair : (List<?>) args.get(0)) m.put(((Tuple) pair).get(0), ((Tuple) pair).get(1));
                }
                return m;
            }
            Object known = calls.apply(g, args);
            if (known != null) return known;
        }
        return new Call(callable, args);
    }

    private Object memo(long key) throws IOException {
        if (!memo.containsKey(key)) throw new IOException("pickle memo has no entry " + key);
        return memo.get(key);
    }

    private static Map<Object, Object> dictOf(List<Object> kv) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.size(); i += 2) m.put(kv.get(i), kv.get(i + 1));
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> asMap(Object o) throws IOException {
        if (o instanceof Map) return (Map<Object, Object>) o;
        if (o instanceof Call) { // a dict subclass built by a call: keep its items as its state
            Call c = (Call) o;
            if (!(c.state instanceof Map)) c.state = new LinkedHashMap<>();
            return (Map<Object, Object>) c.state;
        }
        throw new IOException("SETITEM on a " + typeOf(o));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o) throws IOException {
        if (o instanceof List) return (List<Object>) o;
        throw new IOException("APPEND on a " + typeOf(o));
    }

    @SuppressWarnings("unchecked")
    private static java.util.Set<Object> asSet(Object o) throws IOException {
        if (o instanceof java.util.Set) return (java.util.Set<Object>) o;
        throw new IOException("ADDITEMS on a " + typeOf(o));
    }

    private static String typeOf(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws IOException {
        if (stack.isEmpty()) throw new IOException("pickle pops an empty stack at byte " + at);
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) throw new IOException("pickle pops a mark at byte " + at);
        return o;
    }

    private Object top() throws IOException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK)
            throw new IOException("pickle has no object on its stack at byte " + at);
        return stack.get(stack.size() - 1);
    }

    /** The objects above the last mark, removing them and the mark. */
    private List<Object> popMark() throws IOException {
        if (marks.isEmpty()) throw new IOException("pickle has no mark at byte " + at);
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private int u8() throws IOException {
        return bytes(1)[0] & 0xff;
    }

    private ByteBuffer le(int n) throws IOException {
        return ByteBuffer.wrap(bytes(n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private byte[] bytes(int n) throws IOException {
        if (n < 0 || at + n > in.length)
            throw new IOException("pickle ends inside a value at byte " + at + " (" + n + " bytes wanted): truncated");
        byte[] b = Arrays.copyOfRange(in, at, at + n);
        at += n;
        return b;
    }

    private String utf8(int n) throws IOException {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            if (at >= in.length) throw new IOException("pickle ends inside a text line: truncated");
            byte c = in[at++];
            if (c == '\n') break;
            b.write(c);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }

    private static Object textInt(String s) {
        if (s.equals("01")) return Boolean.TRUE;
        if (s.equals("00")) return Boolean.FALSE;
        return narrow(new BigInteger(stripL(s)));
    }

    private static String stripL(String s) {
        return s.endsWith("L") ? s.substring(0, s.length() - 1) : s;
    }

    /** A little-endian two's-complement integer (LONG1 / LONG4). */
    private static Object longOf(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        return narrow(new BigInteger(be));
    }

    private static Object narrow(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }
}
