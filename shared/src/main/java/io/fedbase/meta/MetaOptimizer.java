package io.fedbase.meta;

import io.fedbase.bundle.Bundle;

/**
 * Turns the round's mean delta into the next prior. A strategy object (like Flower's Strategy),
 * so the finite-difference rule and server-side optimisers are swapped, not branched on.
 */
public interface MetaOptimizer {

  /** The new prior after round {@code round} of {@code totalRounds}, given the mean delta. */
  Bundle step(Bundle prior, Bundle meanDelta, int round, int totalRounds);

  /** Forgets what it carried from round to round (momentum): the prior was replaced by an operator. */
  default void reset() {}

  /** The step sizes used at a round, for logs: {weights, logits}. */
  double[] stepSizes(int round, int totalRounds);
}
