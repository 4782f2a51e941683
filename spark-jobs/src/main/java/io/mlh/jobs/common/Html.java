package io.mlh.jobs.common;

/** What the jobs' HTML pages share. */
public final class Html {
    private Html() {}

    /** {@code s} as HTML text or attribute value. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
