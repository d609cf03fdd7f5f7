package io.fedbase.cli.option;

/** How a flag's rejected value is echoed in its error: short enough that a pasted blob does not flood the terminal. */
public final class FlagValue {

  private static final int SHOWN = 16;

  private FlagValue() {}

  /** {@code value}, cut to its first 16 characters and marked "..." if longer. */
  public static String shown(String value) {
    return value.length() > SHOWN ? value.substring(0, SHOWN) + "..." : value;
  }
}
