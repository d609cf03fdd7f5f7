package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import java.util.Locale;

/**
 * Which rule a federation aggregates its rounds with, as a factory of one {@link RoundAggregator}
 * per round. Read from a setting by {@link #parse}: {@code mean} (the task-weighted mean, the
 * default), {@code median} (coordinate-wise median) or {@code trimmed-mean:β} (coordinate-wise
 * trimmed mean, β in [0, 0.5)). {@link #toString()} gives the same text back, for logs and
 * manifests.
 *
 * <p>The robust rules keep every upload on disk until the round commits and are unweighted; they
 * are not combinable with secure aggregation, where the coordinator never sees an individual delta
 * (see {@link SpillingAggregate}).
 */
public sealed interface AggregationMethod permits AggregationMethod.WeightedMean, AggregationMethod.UnweightedMean, AggregationMethod.Robust {

  /** Memory for a robust rule's blocks unless configured: 64 MiB. */
  long DEFAULT_MEMORY_BYTES = 64L << 20;

  /** A fresh aggregator for one round of {@code layout}'s model. */
  RoundAggregator open(BundleLayout layout);

  /** The task-weighted mean, the default. */
  static AggregationMethod weightedMean() {
    return new WeightedMean();
  }

  /**
   * The mean in which every upload counts once whatever its task count, as differential privacy's
   * sensitivity assumes; not a setting of its own, the private strategy chooses it.
   */
  static AggregationMethod unweightedMean() {
    return new UnweightedMean();
  }

  /**
   * The method {@code text} names; a robust one gets {@link #DEFAULT_MEMORY_BYTES} (change it with
   * {@link Robust#withMemoryBytes}).
   */
  static AggregationMethod parse(String text) {
    String key = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    if (key.equals("mean")) {
      return weightedMean();
    }
    if (key.equals("median")) {
      return new Robust(new CoordinateMedian(), DEFAULT_MEMORY_BYTES);
    }
    if (key.equals("trimmed-mean")) {
      throw new IllegalArgumentException("trimmed-mean needs the fraction to trim from each end, e.g. trimmed-mean:0.1");
    }
    if (key.startsWith("trimmed-mean:")) {
      String value = key.substring("trimmed-mean:".length());
      double fraction;
      try {
        fraction = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the trimmed-mean fraction must be a number in [0, 0.5), got '" + value + "'");
      }
      return new Robust(new TrimmedMean(fraction), DEFAULT_MEMORY_BYTES);
    }
    throw new IllegalArgumentException("the aggregation method must be mean, median or trimmed-mean:<fraction>, got '" + text + "'");
  }

  /** The running task-weighted mean ({@link RoundAggregate}): O(model) memory, at most a batch of uploads waiting on disk. */
  record WeightedMean() implements AggregationMethod {
    @Override
    public RoundAggregator open(BundleLayout layout) {
      return new RoundAggregate(layout);
    }

    @Override
    public String toString() {
      return "mean";
    }
  }

  /** The running mean with every upload weighted alike ({@link RoundAggregate} without task weights). */
  record UnweightedMean() implements AggregationMethod {
    @Override
    public RoundAggregator open(BundleLayout layout) {
      return new RoundAggregate(layout, false);
    }

    @Override
    public String toString() {
      return "mean-unweighted";
    }
  }

  /**
   * A coordinate-wise robust rule over uploads kept on disk ({@link SpillingAggregate}).
   *
   * @param rule the per-coordinate statistic
   * @param memoryBytes bound on the memory its blocks take (see {@link BlockPlan})
   */
  record Robust(CoordinateRule rule, long memoryBytes) implements AggregationMethod {
    public Robust {
      if (rule == null) {
        throw new IllegalArgumentException("a robust aggregation needs a coordinate rule");
      }
      if (memoryBytes < 1) {
        throw new IllegalArgumentException("the aggregation memory bound must be positive, got " + memoryBytes);
      }
    }

    /** The same rule within another memory bound. */
    public Robust withMemoryBytes(long bytes) {
      return new Robust(rule, bytes);
    }

    @Override
    public RoundAggregator open(BundleLayout layout) {
      return new SpillingAggregate(layout, rule, memoryBytes);
    }

    @Override
    public String toString() {
      return rule.toString();
    }
  }
}
