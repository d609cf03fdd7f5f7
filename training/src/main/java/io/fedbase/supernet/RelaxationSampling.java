package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.meta.Relaxation;
import java.util.SplittableRandom;

/** A {@link Relaxation} carried out on the engine: architecture logits to edge weights. */
public final class RelaxationSampling {

  private RelaxationSampling() {}

  /**
   * Edge weights [edges, ops] for {@code alpha} at temperature {@code tau} under {@code
   * relaxation}, drawing the Gumbel noise from {@code rng} on the host (one copy to the device); the
   * result and its temporaries belong to {@code scope}.
   */
  public static NDArray sample(Relaxation relaxation, NDArray alpha, float tau, SplittableRandom rng, NDManager scope) {
    Shape shape = alpha.getShape();
    NDArray noise = relaxation == Relaxation.SOFTMAX ? null : DeviceTransfers.toDevice(scope, gumbelNoise((int) shape.size(), rng), shape);
    return sampleWithNoise(relaxation, alpha, tau, noise, scope);
  }

  /**
   * As {@link #sample}, with the Gumbel noise already on the device ({@code null} for {@link
   * Relaxation#SOFTMAX}): nothing moves between host and device.
   */
  public static NDArray sampleWithNoise(Relaxation relaxation, NDArray alpha, float tau, NDArray noise, NDManager scope) {
    if (!(tau > 0)) {
      throw new IllegalArgumentException("temperature must be positive, got " + tau);
    }
    Shape shape = alpha.getShape();
    if (relaxation == Relaxation.SOFTMAX) {
      // start from a scope-owned array: a result lands on its first operand's manager
      return scope.zeros(shape).add(alpha).div(Scalars.of(scope, tau)).softmax(1);
    }
    NDArray soft = noise.add(alpha).div(Scalars.of(scope, tau)).softmax(1);
    if (relaxation == Relaxation.GUMBEL_SOFTMAX) {
      return soft;
    }
    // the forward's one-hot rows are made where soft is (argmax takes the first of equal maxima)
    NDArray hard = soft.stopGradient().argMax(1).oneHot((int) shape.get(1), DataType.FLOAT32);
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
}
