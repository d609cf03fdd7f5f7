package io.fedbase.meta;

import io.fedbase.bundle.Bundle;

/**
 * The finite-difference update with heavy-ball momentum on the server: v <- mu * v + mean delta,
 * W <- W + eps * v. An alternative outer step: a server optimiser (momentum) on -delta.
 */
public final class ServerMomentumUpdate implements MetaOptimizer {

  private final FiniteDifferenceUpdate steps;
  private final float momentum;
  private Bundle velocity;

  public ServerMomentumUpdate(FiniteDifferenceUpdate steps, float momentum) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must lie in [0, 1), got " + momentum);
    }
    this.steps = steps;
    this.momentum = momentum;
  }

  @Override
  public synchronized Bundle step(Bundle prior, Bundle meanDelta, int round, int totalRounds) {
    velocity = velocity == null ? meanDelta : velocity.scaled(momentum).plusScaled(meanDelta, 1f);
    return steps.step(prior, velocity, round, totalRounds);
  }

  @Override
  public synchronized void reset() {
    velocity = null;
  }

  @Override
  public double[] stepSizes(int round, int totalRounds) {
    return steps.stepSizes(round, totalRounds);
  }

  @Override
  public String toString() {
    return "momentum(" + momentum + ", " + steps + ")";
  }
}
