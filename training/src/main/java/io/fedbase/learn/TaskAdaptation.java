package io.fedbase.learn;

import io.fedbase.bundle.Bundle;

/**
 * The outcome of adapting W to one task.
 *
 * @param adapted phi_K
 * @param delta phi_K - W, what a node uploads
 * @param supportLosses the minibatch loss before each of the K updates
 * @param query loss and accuracy on the task's query set after adaptation
 */
public record TaskAdaptation(Bundle adapted, Bundle delta, double[] supportLosses, Evaluation query) {

  /** Loss before the first update (NaN when K = 0). */
  public double firstLoss() {
    return supportLosses.length == 0 ? Double.NaN : supportLosses[0];
  }

  /** Loss before the last update (NaN when K = 0). */
  public double lastLoss() {
    return supportLosses.length == 0 ? Double.NaN : supportLosses[supportLosses.length - 1];
  }
}
