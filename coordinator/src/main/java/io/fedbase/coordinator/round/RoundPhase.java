package io.fedbase.coordinator.round;

/** Where the coordinator is in its round cycle (docs/ARCHITECTURE.md, "A round"). */
public enum RoundPhase {
  /** Waiting until enough nodes are connected. */
  WAITING,
  /** Assignments sent; collecting uploads until all arrive or the deadline passes. */
  COLLECTING,
  /** Aggregating, stepping the prior and writing the checkpoint. */
  COMMITTING,
  /** The target number of rounds is committed, or the coordinator is shutting down. */
  STOPPED
}
