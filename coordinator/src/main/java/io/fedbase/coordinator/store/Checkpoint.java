package io.fedbase.coordinator.store;

import io.fedbase.bundle.Bundle;

/**
 * A committed prior: its version (0 = the initial prior, +1 per committed round) and the number of
 * the last round that was closed, committed or failed, when it was written.
 */
public record Checkpoint(long version, long lastRound, Bundle prior) {

  public Checkpoint {
    if (version < 0 || lastRound < 0) {
      throw new IllegalArgumentException("version and round must not be negative");
    }
  }
}
