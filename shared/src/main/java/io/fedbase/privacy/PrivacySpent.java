package io.fedbase.privacy;

/**
 * An (ε, δ)-DP guarantee and the Rényi order α at which the RDP → DP conversion was tightest.
 *
 * @param epsilon ε ≥ 0; {@code +∞} when no finite guarantee exists (noise multiplier 0)
 * @param delta the δ it was asked at, in (0, 1)
 * @param order the optimal order, or {@code NaN} when ε is infinite at every order. An optimum at
 *     the smallest or largest order given suggests the list of orders is too narrow.
 */
public record PrivacySpent(double epsilon, double delta, double order) {

  public PrivacySpent {
    if (Double.isNaN(epsilon) || epsilon < 0) {
      throw new IllegalArgumentException("epsilon must be ≥ 0 (or +∞), got " + epsilon);
    }
    RdpAccountant.checkDelta(delta);
  }

  /** Whether ε is finite (some noise was added at every round). */
  public boolean isFinite() {
    return epsilon != Double.POSITIVE_INFINITY;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "(ε = %.4g, δ = %.3g) at α = %s", epsilon, delta, order);
  }
}
