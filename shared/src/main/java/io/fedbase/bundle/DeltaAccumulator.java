package io.fedbase.bundle;

/** Folds deltas into one aggregate as they arrive. */
public interface DeltaAccumulator {

  /** Adds one delta with its weight (the number of tasks behind it). */
  void add(Bundle delta, double weight);

  /** Number of deltas added. */
  int count();

  /** The aggregate of everything added. */
  Bundle result();
}
