package io.fedbase.space;

/**
 * The shape of one input image (channels x height x width). The supernet keeps one stem per
 * signature, so a signature is also the key of a stem in the prior.
 */
public record InputSignature(int channels, int height, int width) {

  public InputSignature {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "input signature needs positive sizes, got " + channels + "x" + height + "x" + width);
    }
  }

  /** Parses {@code CxHxW}, e.g. {@code 1x28x28}. */
  public static InputSignature parse(String text) {
    String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
    if (parts.length != 3) {
      throw new IllegalArgumentException("input signature must look like CxHxW, got '" + text + "'");
    }
    try {
      return new InputSignature(
          Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("input signature must look like CxHxW, got '" + text + "'");
    }
  }

  /** Number of values in one image. */
  public int size() {
    return channels * height * width;
  }

  /** The canonical {@code CxHxW} form, also used in tensor names. */
  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
