package io.fedbase.privacy;

import io.fedbase.bundle.Bundle;
import java.util.random.RandomGenerator;

/**
 * What a node does to its delta in a differentially private round: clip the weight part to {@code
 * weightClip} and the logit part to {@code logitClip} (L2), then add Gaussian noise of {@code
 * noiseStddev} to every value (distributed mode; 0 when the coordinator adds the noise).
 */
public record PrivacyTerms(double weightClip, double logitClip, double noiseStddev) {

  public PrivacyTerms {
    if (!(weightClip > 0) || !(logitClip > 0) || Double.isInfinite(weightClip) || Double.isInfinite(logitClip)) {
      throw new IllegalArgumentException("clip bounds must be positive and finite, got " + weightClip + " and " + logitClip);
    }
    if (!(noiseStddev >= 0) || Double.isInfinite(noiseStddev)) {
      throw new IllegalArgumentException("the noise standard deviation must be finite and non-negative, got " + noiseStddev);
    }
  }

  /** The node's delta made private as these terms say. */
  public Bundle apply(Bundle delta, RandomGenerator random) {
    Bundle clipped = GaussianMechanism.clip(delta, weightClip, logitClip);
    return noiseStddev == 0 ? clipped : GaussianMechanism.noised(clipped, noiseStddev, random);
  }
}
