package io.fedbase.coordinator.round;

/** The coordinator's answer to an accepted upload. */
public record Receipt(long round, boolean duplicate, int acceptedInRound) {

  /** The same receipt, marked as the answer to a repeated upload. */
  public Receipt asDuplicate() {
    return new Receipt(round, true, acceptedInRound);
  }
}
