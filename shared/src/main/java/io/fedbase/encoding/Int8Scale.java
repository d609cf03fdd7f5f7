package io.fedbase.encoding;

/** The int8 encoding's grid: values are multiples of a per-tensor scale, in [-127, 127]. */
final class Int8Scale {

  /** Symmetric levels either side of zero; -128 is unused so that the grid is symmetric. */
  static final int LEVELS = 127;

  private Int8Scale() {}

  /** {@code scaled} (in [-127, 127]) rounded down or up with probability given by its fraction. */
  static byte quantize(float scaled, double uniform01) {
    double floor = Math.floor(scaled);
    long q = (long) floor + (uniform01 < scaled - floor ? 1 : 0);
    return (byte) Math.max(-LEVELS, Math.min(LEVELS, q));
  }
}
