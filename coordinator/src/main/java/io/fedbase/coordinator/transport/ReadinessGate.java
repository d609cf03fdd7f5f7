package io.fedbase.coordinator.transport;

import io.fedbase.wire.Refusal;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.BooleanSupplier;

/** Answers UNAVAILABLE until the coordinator has restored its state, so no call sees a half-built one. */
final class ReadinessGate implements ServerInterceptor {

  private final BooleanSupplier ready;

  ReadinessGate(BooleanSupplier ready) {
    this.ready = ready;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!ready.getAsBoolean()) {
      Refusal.UNAVAILABLE.close(call, "the coordinator is restoring its state; retry shortly");
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
