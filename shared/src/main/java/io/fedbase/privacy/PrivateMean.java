package io.fedbase.privacy;

import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DeltaAccumulator;
import io.fedbase.bundle.WeightedSum;
import java.util.random.RandomGenerator;

/**
 * The central Gaussian mechanism as an aggregation rule for local meta-training: every added delta
 * (one node's) is clipped and counted alike, and the sum gets noise of {@code σ · sensitivity}
 * before it is divided by the count — what a private federation's coordinator computes, so a
 * benchmark can measure its effect on the prior without a network.
 */
public final class PrivateMean implements AggregationRule {

  private final double weightClip;
  private final double logitClip;
  private final double noiseMultiplier;
  private final RandomGenerator random;

  public PrivateMean(double weightClip, double logitClip, double noiseMultiplier, RandomGenerator random) {
    new PrivacyTerms(weightClip, logitClip, 0); // validates the clips
    if (!(noiseMultiplier >= 0)) {
      throw new IllegalArgumentException("the noise multiplier must be non-negative, got " + noiseMultiplier);
    }
    this.weightClip = weightClip;
    this.logitClip = logitClip;
    this.noiseMultiplier = noiseMultiplier;
    this.random = random;
  }

  @Override
  public DeltaAccumulator newAccumulator(BundleLayout layout) {
    WeightedSum sum = new WeightedSum(layout);
    return new DeltaAccumulator() {
      @Override
      public void add(Bundle delta, double weight) {
        sum.add(GaussianMechanism.clip(delta, weightClip, logitClip), 1);
      }

      @Override
      public int count() {
        return sum.count();
      }

      @Override
      public Bundle result() {
        double std = noiseMultiplier * GaussianMechanism.sensitivity(weightClip, logitClip) / sum.count();
        return std == 0 ? sum.result() : GaussianMechanism.noised(sum.result(), std, random);
      }
    };
  }

  @Override
  public String toString() {
    return "private-mean(sigma=" + noiseMultiplier + ")";
  }
}
