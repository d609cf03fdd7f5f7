package io.fedbase.coordinator.privacy;

import io.fedbase.meta.InvalidSettingException;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.privacy.PrivacyLedger;
import io.fedbase.privacy.PrivacySpent;
import io.fedbase.privacy.PrivacyTerms;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Client-level differential privacy for a federation (DP-FedAvg adapted to the meta-update): each
 * node's delta is clipped (weight and logit parts separately), Gaussian noise of {@code
 * noiseMultiplier · sensitivity} goes on the sum, and each round's cost is accounted with Rényi DP
 * for the subsampled Gaussian mechanism at {@code delta}.
 *
 * @param mode who adds the noise: the coordinator to the sum (central) or every node a share of it
 *     (distributed, which composes with secure aggregation so nobody sees an un-noised sum)
 * @param noiseMultiplier σ: noise standard deviation over the sensitivity
 * @param weightClip L2 bound of a delta's weight part
 * @param logitClip L2 bound of a delta's logit part
 * @param delta the δ that ε is reported at
 * @param budgetEpsilon rounds stop before one would take ε above this (infinite: no budget)
 * @param sampleRate each connected node takes part in a round with this probability (Poisson
 *     sampling, which the accountant assumes); 1 selects every connected node
 */
public record PrivacySettings(
    Mode mode, double noiseMultiplier, double weightClip, double logitClip, double delta, double budgetEpsilon, double sampleRate) {

  /** Who adds the noise. */
  public enum Mode {
    CENTRAL("central"),
    DISTRIBUTED("distributed");

    private final String key;

    Mode(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }

    public static Mode fromKey(String key) {
      for (Mode m : values()) {
        if (m.key.equals(key.trim().toLowerCase(Locale.ROOT))) {
          return m;
        }
      }
      throw new IllegalArgumentException("--dp must be central or distributed, got '" + key + "'");
    }
  }

  public PrivacySettings {
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new InvalidSettingException("privacy.noiseMultiplier", "must be positive and finite, got " + noiseMultiplier);
    }
    if (!(weightClip > 0) || Double.isInfinite(weightClip)) {
      throw new InvalidSettingException("privacy.weightClip", "must be positive and finite, got " + weightClip);
    }
    if (!(logitClip > 0) || Double.isInfinite(logitClip)) {
      throw new InvalidSettingException("privacy.logitClip", "must be positive and finite, got " + logitClip);
    }
    if (!(delta > 0 && delta < 1)) {
      throw new InvalidSettingException("privacy.delta", "must lie in (0, 1), got " + delta);
    }
    if (!(budgetEpsilon > 0)) {
      throw new InvalidSettingException("privacy.budgetEpsilon", "must be positive, got " + budgetEpsilon);
    }
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw new InvalidSettingException("privacy.sampleRate", "must lie in (0, 1], got " + sampleRate);
    }
  }

  /** How much one node can change the sum of clipped deltas (L2). */
  public double sensitivity() {
    return GaussianMechanism.sensitivity(weightClip, logitClip);
  }

  /** The noise standard deviation the sum carries. */
  public double sumNoiseStddev() {
    return noiseMultiplier * sensitivity();
  }

  /** What each of {@code participants} nodes does to its delta in a round. */
  public PrivacyTerms nodeTerms(int participants) {
    double share = mode == Mode.DISTRIBUTED ? sumNoiseStddev() / Math.sqrt(participants) : 0;
    return new PrivacyTerms(weightClip, logitClip, share);
  }

  /**
   * The noise multiplier a round really had: in distributed mode only the {@code uploaded} of the
   * {@code selected} nodes' noise shares reached the sum.
   */
  public double effectiveNoiseMultiplier(int selected, int uploaded) {
    return mode == Mode.DISTRIBUTED ? noiseMultiplier * Math.sqrt((double) uploaded / selected) : noiseMultiplier;
  }

  /** ε after {@code rounds} rounds at these settings, all nodes' shares arriving. */
  public PrivacySpent projected(long rounds) {
    return PrivacyLedger.empty().plus(sampleRate, noiseMultiplier, rounds).spent(delta);
  }

  /** Above this ε a guarantee says little: e^10 ≈ 22,000 is the factor by which odds may change. */
  public static final double MEANINGLESS_EPSILON = 10;

  /**
   * What an operator must hear before rounds start: the ε these settings reach after {@code rounds}
   * rounds (100 when unbounded), loudly when it means little.
   */
  public List<String> warnings(long rounds, int minNodes, boolean secureAggregation) {
    long horizon = rounds > 0 ? rounds : 100;
    PrivacySpent spent = projected(horizon);
    List<String> out = new ArrayList<>();
    String projection =
        String.format(Locale.ROOT, "epsilon %.3g at delta %g after %d rounds (noise %.3g, sampling rate %.3g)", spent.epsilon(), delta, horizon, noiseMultiplier, sampleRate);
    if (!(spent.epsilon() <= MEANINGLESS_EPSILON)) {
      out.add(
          "WARNING: differential privacy will reach "
              + projection
              + ": a guarantee this weak means little. Raise --dp-noise-multiplier, lower --sample-rate with more nodes, or run fewer rounds.");
    } else {
      out.add("privacy: " + projection);
    }
    if (sampleRate == 1 && minNodes < 100) {
      out.add(
          "WARNING: every connected node takes part in every round (--sample-rate 1), so there is no privacy amplification by sampling; with "
              + minNodes + " nodes client-level DP needs a large noise multiplier to mean anything.");
    }
    if (mode == Mode.DISTRIBUTED && !secureAggregation) {
      out.add(
          "WARNING: distributed noise without --secure-aggregation: the coordinator sees each node's delta with only its share of the noise (sigma / sqrt(nodes)).");
    }
    return out;
  }

  public boolean hasBudget() {
    return Double.isFinite(budgetEpsilon);
  }
}
