package io.fedbase.coordinator.round;

/**
 * The coordinator's answer to an accepted upload.
 *
 * @param payloadBytes the size of the accepted payload, which a repeat of it may not exceed
 */
public record Receipt(long round, boolean duplicate, int acceptedInRound, long payloadBytes) {

  /** The same receipt, marked as the answer to a repeated upload. */
  public Receipt asDuplicate() {
    return new Receipt(round, true, acceptedInRound, payloadBytes);
  }
}
