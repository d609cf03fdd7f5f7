package io.fedbase.privacy;

/**
 * How an RDP guarantee {@code (α, r)} becomes an {@code (ε, δ)}-DP guarantee. Both rules have the
 * form {@code ε = r + offset(α, δ)}; the accountant minimises over the orders it was given.
 */
public enum RdpConversion {

  /**
   * {@code ε = r − (log δ + log α)/(α − 1) + log((α − 1)/α)}: Balle, Barthe, Gaboardi, Hsu and Sato
   * 2020, "Hypothesis testing interpretations and Rényi differential privacy", Theorem 21 (also
   * Canonne, Kamath and Steinke 2020, Proposition 12). What Opacus' {@code get_privacy_spent} and
   * TF Privacy since December 2020 use. At every order it is below {@link #CLASSIC} by
   * {@code log(α)/(α−1) − log(1 − 1/α) > 0}, so taking the smaller of the two is this one.
   */
  IMPROVED {
    @Override
    double offset(double order, double delta) {
      return -(Math.log(delta) + Math.log(order)) / (order - 1) + Math.log1p(-1.0 / order);
    }
  },

  /**
   * {@code ε = r + log(1/δ)/(α − 1)}: Mironov 2017, "Rényi differential privacy", Proposition 3.
   * What TF Privacy's {@code get_privacy_spent} used until December 2020, hence the conversion
   * behind the figures published with its 2019 tutorials; kept to reproduce them.
   */
  CLASSIC {
    @Override
    double offset(double order, double delta) {
      return -Math.log(delta) / (order - 1);
    }
  };

  /** The largest RDP at which ε = 0 holds through the KL / total-variation bound: −log(1 − δ²). */
  static double zeroEpsilonRdp(double delta) {
    return -Math.log1p(-delta * delta);
  }

  /** {@code ε − r} at this order and δ (finite for finite order > 1 and δ in (0, 1)). */
  abstract double offset(double order, double delta);

  /**
   * ε at one order, never below 0 (a negative bound still proves ε = 0). An infinite RDP gives
   * ε = +∞; at order ∞ (pure DP) both rules tend to ε = r. Before either rule, as TF Privacy and
   * dp_accounting do, RDP r ≤ −log(1 − δ²) gives ε = 0 outright: r bounds the KL divergence (RDP
   * grows with the order and tends to KL at order 1), and total variation ≤ √(1 − e^(−KL))
   * (Bretagnolle–Huber), so the mechanism is (0, δ)-DP. That is what makes zero rounds (r = 0)
   * cost ε = 0 instead of the conversion's positive offset; it never binds for realistic runs.
   */
  double epsilon(double order, double rdp, double delta) {
    if (rdp <= zeroEpsilonRdp(delta)) {
      return 0.0;
    }
    if (rdp == Double.POSITIVE_INFINITY) {
      return Double.POSITIVE_INFINITY;
    }
    if (order == Double.POSITIVE_INFINITY) {
      return Math.max(0.0, rdp);
    }
    return Math.max(0.0, rdp + offset(order, delta));
  }
}
