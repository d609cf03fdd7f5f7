package io.fedbase.bundle;

import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import java.util.SplittableRandom;

/**
 * Fresh parameters for a spec, from a seed: PyTorch's default init for convs and the classifier
 * (uniform within 1/sqrt(fan_in)) with zero biases, identity BN affines, and near-uniform logits 1e-3 * N(0, 1)
 * as in DARTS. Java's RNG keeps it identical on every machine and engine.
 */
public final class ParameterInitializer {

  static final double LOGIT_INIT_STD = 1e-3;

  private ParameterInitializer() {}

  /** A fresh W for {@code spec}. */
  public static Bundle initialize(SupernetSpec spec, long seed) {
    BundleLayout layout = BundleLayout.of(spec);
    float[] values = new float[layout.totalSize()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < layout.tensors().size(); i++) {
      TensorSpec t = layout.tensors().get(i);
      fill(t, values, layout.offset(i), layout.end(i), rng.split());
    }
    return Bundle.of(layout, values);
  }

  /** Fresh values for a single tensor (e.g. a stem for a new input signature). */
  public static float[] initializeTensor(TensorSpec t, long seed) {
    float[] values = new float[t.size()];
    fill(t, values, 0, values.length, new SplittableRandom(seed));
    return values;
  }

  private static void fill(TensorSpec t, float[] out, int from, int to, SplittableRandom rng) {
    String name = t.name();
    int[] shape = t.shape();
    if (t.logits()) {
      for (int i = from; i < to; i++) {
        out[i] = (float) (LOGIT_INIT_STD * gaussian(rng));
      }
    } else if (name.endsWith(".gamma")) {
      java.util.Arrays.fill(out, from, to, 1f);
    } else if (name.endsWith(".beta") || name.endsWith(".bias")) {
      java.util.Arrays.fill(out, from, to, 0f);
    } else {
      double bound = 1.0 / Math.sqrt(fanIn(shape));
      for (int i = from; i < to; i++) {
        out[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
      }
    }
  }

  private static int fanIn(int[] shape) {
    int fan = 1;
    for (int d = 1; d < shape.length; d++) {
      fan *= shape[d];
    }
    return fan;
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = Math.max(rng.nextDouble(), 1e-300);
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
