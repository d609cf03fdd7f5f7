package io.fedbase.meta;

import io.fedbase.bundle.Bundle;

/**
 * BASE's finite-difference (Reptile-style) meta-update: W <- W + eps * mean delta, with separate
 * step sizes for weights and logits (defaults, docs/ALGORITHM.md: eps_w 1.0 -> 0.1, eps_alpha 0.6).
 */
public final class FiniteDifferenceUpdate implements MetaOptimizer {

  private final Schedule weightStep;
  private final Schedule logitStep;

  public FiniteDifferenceUpdate(Schedule weightStep, Schedule logitStep) {
    this.weightStep = weightStep;
    this.logitStep = logitStep;
  }

  /** eps_w linear 1.0 -> 0.1, eps_alpha constant 0.6. */
  public static FiniteDifferenceUpdate defaults() {
    return new FiniteDifferenceUpdate(Schedule.linear(1.0, 0.1), Schedule.constant(0.6));
  }

  @Override
  public Bundle step(Bundle prior, Bundle meanDelta, int round, int totalRounds) {
    double[] eps = stepSizes(round, totalRounds);
    return prior.plusScaled(meanDelta, (float) eps[0], (float) eps[1]);
  }

  @Override
  public double[] stepSizes(int round, int totalRounds) {
    return new double[] {weightStep.at(round, totalRounds), logitStep.at(round, totalRounds)};
  }

  @Override
  public String toString() {
    return "finite-difference(eps_w=" + weightStep + ", eps_alpha=" + logitStep + ")";
  }
}
