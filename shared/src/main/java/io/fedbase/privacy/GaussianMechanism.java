package io.fedbase.privacy;

import io.fedbase.bundle.Bundle;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The client-level Gaussian mechanism on deltas: clip each delta's weight part and logit part to
 * their own L2 bounds, so one node changes the sum by at most {@code sensitivity = sqrt(Cw² + Cα²)};
 * then Gaussian noise of standard deviation {@code σ · sensitivity} on every value of the sum, all at
 * once (central mode) or split over the nodes (distributed mode).
 *
 * <p>Noise is drawn from a generator seeded from {@link SecureRandom}, so it cannot be predicted;
 * like Opacus without its "secure mode", it does not defend against attacks on floating-point
 * noise sampling (Mironov 2012).
 */
public final class GaussianMechanism {

  private GaussianMechanism() {}

  /** The L2 sensitivity of a sum of deltas clipped to these part bounds. */
  public static double sensitivity(double weightClip, double logitClip) {
    return Math.hypot(weightClip, logitClip);
  }

  /** {@code delta} with its weight part scaled into {@code weightClip} and its logit part into {@code logitClip}. */
  public static Bundle clip(Bundle delta, double weightClip, double logitClip) {
    double weightNorm = delta.norm(false);
    double logitNorm = delta.norm(true);
    float weightScale = weightNorm > weightClip ? (float) (weightClip / weightNorm) : 1f;
    float logitScale = logitNorm > logitClip ? (float) (logitClip / logitNorm) : 1f;
    if (weightScale == 1f && logitScale == 1f) {
      return delta;
    }
    return Bundle.zeros(delta.layout()).plusScaled(delta, weightScale, logitScale);
  }

  /** {@code values} plus independent Gaussian noise of standard deviation {@code stddev} on every value. */
  public static Bundle noised(Bundle values, double stddev, RandomGenerator random) {
    if (!(stddev >= 0) || Double.isInfinite(stddev)) {
      throw new IllegalArgumentException("the noise standard deviation must be finite and non-negative, got " + stddev);
    }
    float[] v = values.toArray();
    for (int i = 0; i < v.length; i++) {
      v[i] += (float) (random.nextGaussian() * stddev);
    }
    return Bundle.of(values.layout(), v);
  }

  /** A fast generator for noise, seeded unpredictably (a SplittableRandom from 64 bits of SecureRandom). */
  public static RandomGenerator noiseSource() {
    return new SplittableRandom(new SecureRandom().nextLong());
  }
}
