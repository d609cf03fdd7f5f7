package io.fedbase.bundle;

/**
 * How a round's deltas are combined: a strategy object so that robust rules can replace the
 * task-weighted mean without touching the round logic.
 */
public interface AggregationRule {

  /** A fresh accumulator for one round. */
  DeltaAccumulator newAccumulator(BundleLayout layout);

  /** The task-count-weighted mean, streamed in O(model) memory (docs/ARCHITECTURE.md, "A round"). */
  static AggregationRule weightedMean() {
    return new AggregationRule() {
      @Override
      public DeltaAccumulator newAccumulator(BundleLayout layout) {
        return new WeightedSum(layout);
      }

      @Override
      public String toString() {
        return "weighted-mean";
      }
    };
  }
}
