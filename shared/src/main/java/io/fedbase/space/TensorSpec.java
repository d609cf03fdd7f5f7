package io.fedbase.space;

import java.util.Arrays;

/**
 * One named tensor of the parameter set W: its canonical name, its shape and whether it is a
 * weight or an architecture logit matrix.
 */
public record TensorSpec(String name, int[] shape, boolean logits) {

  public TensorSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("tensor name must not be blank");
    }
    shape = shape.clone();
    for (int d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("tensor " + name + " has a non-positive dimension " + d);
      }
    }
  }

  /** A weight tensor. */
  public static TensorSpec weight(String name, int... shape) {
    return new TensorSpec(name, shape, false);
  }

  /** An architecture logit matrix. */
  public static TensorSpec logits(String name, int... shape) {
    return new TensorSpec(name, shape, true);
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public int size() {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new IllegalStateException("tensor " + name + " is too large: " + n + " elements");
    }
    return (int) n;
  }

  /** Shape in the {@code [a, b, c]} form used in messages and the spec's canonical text. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && t.name.equals(name)
        && Arrays.equals(t.shape, shape)
        && t.logits == logits;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape) + (logits ? 1 : 0);
  }

  @Override
  public String toString() {
    return name + shapeText() + (logits ? " (logits)" : "");
  }
}
