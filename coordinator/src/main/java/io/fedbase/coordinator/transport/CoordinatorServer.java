package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.round.RoundCoordinator;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's gRPC server: the Federation service plus health and reflection, built from an
 * injected {@link ServerBuilder} so tests pass an in-process one and production a Netty one.
 */
public final class CoordinatorServer implements AutoCloseable {

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final RoundCoordinator coordinator;
  private final Duration grace;

  public CoordinatorServer(ServerBuilder<?> builder, RoundCoordinator coordinator, Duration grace, TransferObserver transfers) {
    this.coordinator = coordinator;
    this.grace = grace;
    this.server =
        builder
            .addService(new FederationService(coordinator, transfers))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  public CoordinatorServer start() throws IOException {
    server.start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("fedbase.v1.Federation", ServingStatus.SERVING);
    return this;
  }

  /** The bound port (for a Netty server started on port 0). */
  public int port() {
    return server.getPort();
  }

  /** Health first, then rounds and their streams, then the transport (ENGINEERING §2). */
  @Override
  public void close() throws InterruptedException {
    health.enterTerminalState();
    coordinator.close();
    server.shutdown();
    if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
