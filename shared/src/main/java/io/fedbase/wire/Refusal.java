package io.fedbase.wire;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fedbase.proto.v1.RefusalReason;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Why the coordinator refused a call, as the protocol states it ({@code Refusal} in
 * federation.proto): each reason has its gRPC status code, unchanged from before reasons were sent,
 * and says whether the same call may succeed later. The coordinator sends one with every refusal in
 * the status details; a node decides to retry, rejoin or give up from it, never from the message.
 */
public enum Refusal {
  MALFORMED(RefusalReason.REFUSAL_MALFORMED, Status.Code.INVALID_ARGUMENT, false),
  NOT_JOINED(RefusalReason.REFUSAL_NOT_JOINED, Status.Code.FAILED_PRECONDITION, false),
  REMOVED(RefusalReason.REFUSAL_REMOVED, Status.Code.PERMISSION_DENIED, false),
  NOT_SELECTED(RefusalReason.REFUSAL_NOT_SELECTED, Status.Code.PERMISSION_DENIED, false),
  WRONG_ROUND(RefusalReason.REFUSAL_WRONG_ROUND, Status.Code.FAILED_PRECONDITION, false),
  STALE_VERSION(RefusalReason.REFUSAL_STALE_VERSION, Status.Code.FAILED_PRECONDITION, false),
  LATE(RefusalReason.REFUSAL_LATE, Status.Code.FAILED_PRECONDITION, false),
  IN_PROGRESS(RefusalReason.REFUSAL_IN_PROGRESS, Status.Code.ABORTED, true),
  WRONG_SHAPE(RefusalReason.REFUSAL_WRONG_SHAPE, Status.Code.INVALID_ARGUMENT, false),
  OVERSIZED(RefusalReason.REFUSAL_OVERSIZED, Status.Code.RESOURCE_EXHAUSTED, false),
  NON_FINITE(RefusalReason.REFUSAL_NON_FINITE, Status.Code.INVALID_ARGUMENT, false),
  NORM_TOO_LARGE(RefusalReason.REFUSAL_NORM_TOO_LARGE, Status.Code.INVALID_ARGUMENT, false),
  CHECKSUM_MISMATCH(RefusalReason.REFUSAL_CHECKSUM_MISMATCH, Status.Code.INVALID_ARGUMENT, false),
  UNAVAILABLE(RefusalReason.REFUSAL_UNAVAILABLE, Status.Code.UNAVAILABLE, true),
  SPEC_MISMATCH(RefusalReason.REFUSAL_SPEC_MISMATCH, Status.Code.FAILED_PRECONDITION, false),
  SHUTTING_DOWN(RefusalReason.REFUSAL_SHUTTING_DOWN, Status.Code.UNAVAILABLE, true),
  NO_SUCH_VERSION(RefusalReason.REFUSAL_NO_SUCH_VERSION, Status.Code.NOT_FOUND, false),
  OFFSET_OUT_OF_RANGE(RefusalReason.REFUSAL_OFFSET_OUT_OF_RANGE, Status.Code.OUT_OF_RANGE, false),
  SECURE_PROTOCOL(RefusalReason.REFUSAL_SECURE_PROTOCOL, Status.Code.INVALID_ARGUMENT, false),
  NOT_PERMITTED(RefusalReason.REFUSAL_NOT_PERMITTED, Status.Code.PERMISSION_DENIED, false),
  INTERNAL(RefusalReason.REFUSAL_INTERNAL, Status.Code.INTERNAL, true),
  STALLED(RefusalReason.REFUSAL_STALLED, Status.Code.DEADLINE_EXCEEDED, false);

  /**
   * Failures that carry no refusal, because they happen below the coordinator's services (a
   * dropped connection, a deadline, a cancelled call, a transport limit): worth waiting out.
   */
  private static final Set<Status.Code> TRANSIENT_WITHOUT_REFUSAL =
      EnumSet.of(
          Status.Code.UNAVAILABLE,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.ABORTED,
          Status.Code.CANCELLED,
          Status.Code.UNKNOWN,
          Status.Code.INTERNAL);

  private final RefusalReason wire;
  private final Status.Code code;
  private final boolean retriable;

  Refusal(RefusalReason wire, Status.Code code, boolean retriable) {
    this.wire = wire;
    this.code = code;
    this.retriable = retriable;
  }

  /** The gRPC status code this refusal is sent with. */
  public Status.Code code() {
    return code;
  }

  /** Whether the same call may succeed later unchanged. */
  public boolean retriable() {
    return retriable;
  }

  /** The refusal as sent: its status code, {@code description} for people, and the typed details. */
  public StatusRuntimeException exception(String description) {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(WireText.line(description, WireText.LINE))
            .addDetails(Any.pack(io.fedbase.proto.v1.Refusal.newBuilder().setReason(wire).setRetriable(retriable).build()))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** Ends {@code call} with this refusal, for interceptors that refuse before a service runs. */
  public void close(ServerCall<?, ?> call, String description) {
    StatusRuntimeException e = exception(description);
    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
  }

  /** The refusal {@code failure} carries, if the coordinator sent one. */
  public static Optional<Refusal> of(Throwable failure) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(io.fedbase.proto.v1.Refusal.class)) {
        try {
          RefusalReason reason = detail.unpack(io.fedbase.proto.v1.Refusal.class).getReason();
          for (Refusal r : values()) {
            if (r.wire == reason) {
              return Optional.of(r);
            }
          }
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the call that failed with {@code failure} is worth repeating after a backoff: as its
   * refusal says, or, for a failure below the services (no refusal), by its status code.
   */
  public static boolean retriable(StatusRuntimeException failure) {
    return of(failure).map(Refusal::retriable).orElseGet(() -> TRANSIENT_WITHOUT_REFUSAL.contains(failure.getStatus().getCode()));
  }
}
