package io.fedbase.coordinator.transport;

/** Counts payload bytes crossing the wire (for metrics); both methods default to doing nothing. */
public interface TransferObserver {

  default void received(long bytes) {}

  default void sent(long bytes) {}

  static TransferObserver none() {
    return new TransferObserver() {};
  }
}
