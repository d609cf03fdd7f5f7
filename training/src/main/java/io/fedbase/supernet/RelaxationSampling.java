package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.meta.Relaxation;
import java.util.SplittableRandom;

/** A {@link Relaxation} carried out on the engine: architecture logits to edge weights. */
public final class RelaxationSampling {

  private RelaxationSampling() {}

  /**
   * Edge weights [edges, ops] for {@code alpha} at temperature {@code tau} under {@code
   * relaxation}; the result and its temporaries belong to {@code scope}.
   */
  public static NDArray sample(Relaxation relaxation, NDArray alpha, float tau, SplittableRandom rng, NDManager scope) {
    if (!(tau > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + tau);
    }
    Shape shape = alpha.getShape();
    if (relaxation == Relaxation.SOFTMAX) {
      // start from a scope-owned array: a result lands on its first operand's manager
      return scope.zeros(shape).add(alpha).div(Scalars.of(scope, tau)).softmax(1);
    }
    NDArray noise = scope.create(gumbelNoise((int) shape.size(), rng), shape);
    NDArray soft = noise.add(alpha).div(Scalars.of(scope, tau)).softmax(1);
    if (relaxation == Relaxation.GUMBEL_SOFTMAX) {
      return soft;
    }
    float[] hardValues = oneHotOfRowArgmax(soft.toFloatArray(), (int) shape.get(0), (int) shape.get(1));
    NDArray hard = scope.create(hardValues, shape);
    return hard.sub(soft.stopGradient()).add(soft);
  }

  /** Gumbel(0, 1) draws: -log(-log(u)), u uniform in (0, 1) kept away from its ends. */
  public static float[] gumbelNoise(int count, SplittableRandom rng) {
    float[] g = new float[count];
    for (int i = 0; i < count; i++) {
      double u = rng.nextDouble();
      u = Math.min(Math.max(u, 1e-10), 1 - 1e-10);
      g[i] = (float) -Math.log(-Math.log(u));
    }
    return g;
  }

  static float[] oneHotOfRowArgmax(float[] values, int rows, int cols) {
    float[] out = new float[values.length];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int c = 1; c < cols; c++) {
        if (values[r * cols + c] > values[r * cols + best]) {
          best = c;
        }
      }
      out[r * cols + best] = 1f;
    }
    return out;
  }
}
