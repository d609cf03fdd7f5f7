package io.fedbase.coordinator.secure;

import io.fedbase.meta.InvalidSettingException;
import io.fedbase.secagg.RoundConfig;
import java.time.Duration;

/**
 * How a federation runs secure aggregation.
 *
 * @param thresholdFraction the share of a round's participants that must remain at every step (and
 *     whose shares reconstruct a secret): more than one half; 2/3 also tolerates a coordinator
 *     colluding with fewer than a third of the nodes
 * @param clip the L2 bound every node clips its whole delta to; it also fixes the ring's
 *     fixed-point scale
 * @param stepTimeout how long the coordinator waits for the key advertisements, the shares and the
 *     unmasking answers before it goes on with the nodes that answered
 */
public record SecureAggregationSettings(double thresholdFraction, float clip, Duration stepTimeout) {

  public SecureAggregationSettings {
    if (!(thresholdFraction > 0.5 && thresholdFraction <= 1)) {
      throw new InvalidSettingException("secureAggregation.thresholdFraction", "must be more than 0.5 and at most 1, got " + thresholdFraction);
    }
    if (!(clip > 0) || Float.isInfinite(clip)) {
      throw new InvalidSettingException("secureAggregation.clip", "must be positive and finite, got " + clip);
    }
    if (stepTimeout.isNegative() || stepTimeout.isZero()) {
      throw new IllegalArgumentException("the secure-aggregation step timeout must be positive, got " + stepTimeout);
    }
  }

  /** The threshold for a round of {@code participants}: the fraction rounded up, at least a strict majority. */
  public int thresholdFor(int participants) {
    int byFraction = (int) Math.ceil(thresholdFraction * participants - 1e-9);
    return Math.min(participants, Math.max(RoundConfig.minimumThreshold(participants), byFraction));
  }
}
