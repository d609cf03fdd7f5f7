package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.wire.Refusal;
import io.grpc.StatusRuntimeException;

/** The protocol's refusal for each reason an upload is refused (docs/ARCHITECTURE.md, "Protocol"). */
final class RejectionStatus {

  private RejectionStatus() {}

  static Refusal refusal(UpdateRejectedException.Reason reason) {
    return switch (reason) {
      case MALFORMED -> Refusal.MALFORMED;
      case UNKNOWN_NODE -> Refusal.NOT_JOINED;
      case REMOVED -> Refusal.REMOVED;
      case NOT_SELECTED -> Refusal.NOT_SELECTED;
      case WRONG_ROUND -> Refusal.WRONG_ROUND;
      case STALE_VERSION -> Refusal.STALE_VERSION;
      case LATE -> Refusal.LATE;
      case IN_PROGRESS -> Refusal.IN_PROGRESS;
      case WRONG_SHAPE -> Refusal.WRONG_SHAPE;
      case OVERSIZED -> Refusal.OVERSIZED;
      case NON_FINITE -> Refusal.NON_FINITE;
      case NORM_TOO_LARGE -> Refusal.NORM_TOO_LARGE;
      case CHECKSUM_MISMATCH -> Refusal.CHECKSUM_MISMATCH;
      case UNAVAILABLE -> Refusal.UNAVAILABLE;
      case STALLED -> Refusal.STALLED;
    };
  }

  /** The refusal as sent: the reason's status code, a description led by its label, the typed details. */
  static StatusRuntimeException of(UpdateRejectedException e) {
    return refusal(e.reason()).exception(e.reason().label() + ": " + e.getMessage());
  }
}
