package io.fedbase.coordinator.aggregate;

/**
 * A robust statistic computed independently for each coordinate of the model from the k uploads'
 * values at that coordinate. {@link SpillingAggregate} feeds it one coordinate at a time.
 */
public interface CoordinateRule {

  /**
   * The statistic of {@code values[from, from + count)}, {@code count >= 1}. May reorder that
   * range (selection works in place, so no copy per coordinate).
   */
  float reduce(float[] values, int from, int count);

  /** The rule as {@link AggregationMethod#parse} reads it, e.g. {@code median}. */
  @Override
  String toString();
}
