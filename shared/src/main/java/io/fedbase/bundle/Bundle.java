package io.fedbase.bundle;

import io.fedbase.space.TensorSpec;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A parameter set W (or a delta of one) as named float32 tensors in a stable order, stored in one
 * flat array. Immutable: every operation returns a new bundle.
 */
public final class Bundle {

  private final BundleLayout layout;
  private final float[] values;

  private Bundle(BundleLayout layout, float[] values, boolean copy) {
    if (values.length != layout.totalSize()) {
      throw new IllegalArgumentException(
          "bundle needs " + layout.totalSize() + " values, got " + values.length);
    }
    this.layout = layout;
    this.values = copy ? values.clone() : values;
  }

  /** A bundle holding a copy of {@code values}. */
  public static Bundle of(BundleLayout layout, float[] values) {
    return new Bundle(layout, values, true);
  }

  /** A bundle taking ownership of {@code values}; the caller must not touch the array again. */
  static Bundle wrap(BundleLayout layout, float[] values) {
    return new Bundle(layout, values, false);
  }

  /** All zeros. */
  public static Bundle zeros(BundleLayout layout) {
    return new Bundle(layout, new float[layout.totalSize()], false);
  }

  public BundleLayout layout() {
    return layout;
  }

  /** Number of values. */
  public int size() {
    return values.length;
  }

  /** A read-only view of every value in canonical order. */
  public FloatBuffer values() {
    return FloatBuffer.wrap(values).asReadOnlyBuffer();
  }

  /** A copy of every value in canonical order. */
  public float[] toArray() {
    return values.clone();
  }

  /** A copy of one tensor's values. */
  public float[] tensor(String name) {
    int i = layout.indexOf(name);
    return Arrays.copyOfRange(values, layout.offset(i), layout.end(i));
  }

  /** A copy of the bundle with one tensor replaced. */
  public Bundle withTensor(String name, float[] tensorValues) {
    int i = layout.indexOf(name);
    int n = layout.end(i) - layout.offset(i);
    if (tensorValues.length != n) {
      throw new IllegalArgumentException(
          "tensor " + name + " needs " + n + " values, got " + tensorValues.length);
    }
    float[] copy = values.clone();
    System.arraycopy(tensorValues, 0, copy, layout.offset(i), n);
    return wrap(layout, copy);
  }

  /** {@code this - base}: the delta that takes {@code base} to this bundle. */
  public Bundle minus(Bundle base) {
    layout.requireSame(base.layout);
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] - base.values[i];
    }
    return wrap(layout, out);
  }

  /** {@code this + scale * delta}, the same scale for weights and logits. */
  public Bundle plusScaled(Bundle delta, float scale) {
    return plusScaled(delta, scale, scale);
  }

  /** {@code this + scale * delta} with separate scales for weight and logit tensors. */
  public Bundle plusScaled(Bundle delta, float weightScale, float logitScale) {
    layout.requireSame(delta.layout);
    float[] out = values.clone();
    for (int t = 0; t < layout.tensors().size(); t++) {
      float s = layout.tensors().get(t).logits() ? logitScale : weightScale;
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        out[i] += s * delta.values[i];
      }
    }
    return wrap(layout, out);
  }

  /** {@code scale * this}. */
  public Bundle scaled(float scale) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = scale * values[i];
    }
    return wrap(layout, out);
  }

  /** L2 norm of every value, weights and logits together. */
  public double norm() {
    return Math.hypot(norm(false), norm(true));
  }

  /** L2 norm of the weight part ({@code logits == false}) or of the logit part. */
  public double norm(boolean logits) {
    double sum = 0;
    for (int t = 0; t < layout.tensors().size(); t++) {
      if (layout.tensors().get(t).logits() != logits) {
        continue;
      }
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        sum += (double) values[i] * values[i];
      }
    }
    return Math.sqrt(sum);
  }

  /** True if every value is finite. */
  public boolean allFinite() {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /** Name of the first tensor holding a NaN or infinity, or null. */
  public String firstNonFiniteTensor() {
    for (int t = 0; t < layout.tensors().size(); t++) {
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        if (!Float.isFinite(values[i])) {
          return layout.tensors().get(t).name();
        }
      }
    }
    return null;
  }

  /** The spec of tensor {@code index} (convenience for iteration). */
  public TensorSpec spec(int index) {
    return layout.tensors().get(index);
  }

  /** Bit-exact equality of layout and values. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Bundle b) || !b.layout.equals(layout)) {
      return false;
    }
    for (int i = 0; i < values.length; i++) {
      if (Float.floatToRawIntBits(values[i]) != Float.floatToRawIntBits(b.values[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return layout.hashCode() * 31 + Arrays.hashCode(values);
  }

  /** Package-private access for the file codec and the accumulator, which avoid copies. */
  float[] raw() {
    return values;
  }
}
