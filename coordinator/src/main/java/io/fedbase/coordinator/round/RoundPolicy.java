package io.fedbase.coordinator.round;

import io.fedbase.meta.InvalidSettingException;
import java.time.Duration;

/**
 * When rounds open and commit.
 *
 * @param minNodes connected nodes needed before a round opens
 * @param quorum accepted updates needed to commit a round
 * @param deadline time from a round's opening until uploads are refused
 */
public record RoundPolicy(int minNodes, int quorum, Duration deadline) {

  public RoundPolicy {
    if (minNodes < 1) {
      throw new InvalidSettingException("policy.minNodes", "must be at least 1, got " + minNodes);
    }
    if (quorum < 1 || quorum > minNodes) {
      throw new InvalidSettingException("policy.quorum", "must lie in 1.." + minNodes + " (the nodes a round needs), got " + quorum);
    }
    if (deadline.isNegative() || deadline.isZero()) {
      throw new InvalidSettingException("policy.deadline", "must be positive, got " + deadline);
    }
  }
}
