package io.mlh.jobs.images;

/**
 * Walks the block structure of a JPEG or PNG file to its end marker, without decoding pixels. Needed
 * because decoders forgive truncation: libjpeg pads a cut-off scan with grey and OpenCV returns the
 * padded image as if nothing happened. Each method returns null for a complete file, else the reason.
 */
final class EncodedStructure {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private EncodedStructure() {}

    static boolean isPng(byte[] b) {
        if (b.length < PNG_SIGNATURE.length) return false;
        for (int i = 0; i < PNG_SIGNATURE.length; i++) if (b[i] != PNG_SIGNATURE[i]) return false;
        return true;
    }

    /** Marker segments up to each start-of-scan, entropy-coded data up to the next marker, until EOI. */
    static String jpegProblem(byte[] b) {
        int n = b.length;
        if (n < 4 || u(b, 0) != 0xff || u(b, 1) != 0xd8) return "not a JPEG image (no start-of-image marker)";
        int i = 2;
        while (true) {
            if (i >= n) return "truncated JPEG: it ends before the end-of-image marker";
            if (u(b, i) != 0xff) return "corrupt JPEG: no marker at byte " + i;
            while (i < n && u(b, i) == 0xff) i++; // fill bytes
            if (i >= n) return "truncated JPEG: it ends before the end-of-image marker";
            int marker = u(b, i++);
            if (marker == 0xd9) return null;
            if (marker == 0x00) return "corrupt JPEG: no marker at byte " + (i - 2);
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // markers without a length
            if (i + 2 > n) return "truncated JPEG: it ends inside a marker segment";
            int length = (u(b, i) << 8) | u(b, i + 1);
            if (length < 2) return "corrupt JPEG: marker segment of length " + length + " at byte " + i;
            i += length;
            if (i > n) return "truncated JPEG: it ends inside a marker segment";
            if (marker == 0xda) {
                // scan data: 0xff is followed by 0x00 (a stuffed byte), a restart marker, or the next marker
                while (true) {
                    if (i + 1 >= n) return "truncated JPEG: it ends inside the image data";
                    if (u(b, i) == 0xff) {
                        int next = u(b, i + 1);
                        if (next != 0x00 && !(next >= 0xd0 && next <= 0xd7) && next != 0xff) break;
                        i += next == 0xff ? 1 : 2;
                    } else {
                        i++;
                    }
                }
            }
        }
    }

    /** Chunks (length, type, data, CRC) up to IEND. */
    static String pngProblem(byte[] b) {
        if (!isPng(b)) return "not a PNG image (no PNG signature)";
        int i = PNG_SIGNATURE.length, n = b.length;
        while (true) {
            if (i + 8 > n) return "truncated PNG: it ends before the IEND chunk";
            long length = ((long) u(b, i) << 24) | (u(b, i + 1) << 16) | (u(b, i + 2) << 8) | u(b, i + 3);
            if (length > Integer.MAX_VALUE) return "corrupt PNG: chunk of length " + length + " at byte " + i;
            boolean iend = b[i + 4] == 'I' && b[i + 5] == 'E' && b[i + 6] == 'N' && b[i + 7] == 'D';
            long end = i + 12 + length;
            if (end > n) return "truncated PNG: it ends inside a chunk";
            if (iend) return null;
            i = (int) end;
        }
    }

    private static int u(byte[] b, int i) {
        return b[i] & 0xff;
    }
}
