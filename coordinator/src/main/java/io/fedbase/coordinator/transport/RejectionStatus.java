package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.grpc.Status;

/** The gRPC status of each refusal (ENGINEERING §2 "Errors"). */
final class RejectionStatus {

  private RejectionStatus() {}

  static Status of(UpdateRejectedException e) {
    Status code =
        switch (e.reason()) {
          case MALFORMED, WRONG_SHAPE, NON_FINITE, NORM_TOO_LARGE, CHECKSUM_MISMATCH -> Status.INVALID_ARGUMENT;
          case UNKNOWN_NODE, WRONG_ROUND, STALE_VERSION, LATE -> Status.FAILED_PRECONDITION;
          case NOT_SELECTED, REMOVED -> Status.PERMISSION_DENIED;
          case IN_PROGRESS -> Status.ABORTED;
          case OVERSIZED -> Status.RESOURCE_EXHAUSTED;
          case UNAVAILABLE -> Status.UNAVAILABLE;
        };
    return code.withDescription(e.reason().label() + ": " + e.getMessage());
  }
}
