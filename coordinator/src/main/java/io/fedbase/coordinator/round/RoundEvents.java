package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;

/**
 * What the round state machine reports as it runs, for metrics and logs. Called with the
 * coordinator's lock held: implementations only record. All methods default to doing nothing.
 */
public interface RoundEvents {

  /** The coordinator entered {@code phase} for round {@code round}. */
  default void phase(long round, RoundPhase phase, long priorVersion) {}

  /** Joined and connected (watching) nodes changed. */
  default void nodes(int joined, int connected) {}

  /** An update was folded into the round's sum; merging took {@code mergeSeconds}. */
  default void accepted(int tasks, double mergeSeconds) {}

  /** An upload was refused, for {@code reason}. */
  default void refused(UpdateRejectedException.Reason reason) {}

  /** A repeated upload of an accepted update was acknowledged. */
  default void duplicate() {}

  /** A round ended; {@code selected} nodes had been assigned work. */
  default void closed(RoundOutcome outcome, int selected) {}

  /** The meta-update took {@code seconds}. */
  default void metaUpdate(double seconds) {}

  /** A checkpoint write ended; {@code bytes} is the prior file's size (0 if it failed). */
  default void checkpoint(double seconds, long bytes, boolean ok) {}

  /** Search-health figures of a committed round. */
  default void searchHealth(SearchHealth health) {}

  /** A private round committed: the privacy the prior has now cost. */
  default void privacy(PrivacyReport report) {}

  /** Records nothing. */
  static RoundEvents none() {
    return new RoundEvents() {};
  }
}
