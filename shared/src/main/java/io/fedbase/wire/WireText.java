package io.fedbase.wire;

/**
 * Text that came from the wire (a node id, a checksum, a spec hash) made safe to log or echo: one
 * line, no control characters, bounded length. A client can then neither forge log lines with
 * newlines nor make the coordinator write or send back megabytes.
 */
public final class WireText {

  /** The longest echo of a single field, e.g. a node id (valid ones have at most 64 characters). */
  public static final int FIELD = 80;

  /** The longest line: a whole refusal description. */
  public static final int LINE = 1000;

  private WireText() {}

  /** {@code text} as one line of at most {@link #FIELD} characters. */
  public static String field(String text) {
    return line(text, FIELD);
  }

  /**
   * {@code text} as one line: control characters (newlines included) and other invisible or
   * direction-changing characters as {@code \\uXXXX}, and, beyond {@code max} characters, cut with
   * its full length said.
   */
  public static String line(String text, int max) {
    if (text == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder(Math.min(text.length(), max) + 16);
    int i = 0;
    for (; i < text.length() && sb.length() < max; i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT || Character.isSurrogate(c)
          || c == '\u2028' || c == '\u2029') {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (i < text.length()) {
      sb.append("... (").append(text.length()).append(" characters)");
    }
    return sb.toString();
  }
}
