package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.round.RoundCoordinator;
import io.fedbase.proto.v1.FederationGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's gRPC server: the Federation and Admin services plus health and reflection, built from an
 * injected {@link ServerBuilder} so tests pass an in-process one and production a Netty one. Every
 * service refuses requests that do not decode ({@link UndecodableMessages}), and what the transport
 * logs about peers that break the protocol takes one line each ({@link TransportNoise}).
 */
public final class CoordinatorServer implements AutoCloseable {

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final RoundCoordinator coordinator;
  private final Duration grace;
  /** The upload watchdog's thread when no scheduler was injected; shut down with the server. */
  private final ScheduledExecutorService ownedWatchdog;

  public CoordinatorServer(ServerBuilder<?> builder, RoundCoordinator coordinator, Duration grace, TransferObserver transfers) {
    this(builder, coordinator, grace, transfers, FederationService.DEFAULT_CONCURRENT_UPLOADS);
  }

  /** @param maxConcurrentUploads uploads whose payload is read at once (see {@code UploadGate}) */
  public CoordinatorServer(
      ServerBuilder<?> builder, RoundCoordinator coordinator, Duration grace, TransferObserver transfers, int maxConcurrentUploads) {
    this(builder, coordinator, grace, transfers, maxConcurrentUploads, null);
  }

  /**
   * @param limits when silent uploads are cut off and on which clock and scheduler; null: {@link
   *     UploadLimits#DEFAULT_IDLE} on the system clock and a watchdog thread this server owns
   */
  public CoordinatorServer(
      ServerBuilder<?> builder, RoundCoordinator coordinator, Duration grace, TransferObserver transfers, int maxConcurrentUploads, UploadLimits limits) {
    this.coordinator = coordinator;
    this.grace = grace;
    TransportNoise.install();
    this.ownedWatchdog =
        limits != null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "fedbase-upload-watchdog");
                  t.setDaemon(true);
                  return t;
                });
    UploadLimits uploadLimits = limits != null ? limits : new UploadLimits(UploadLimits.DEFAULT_IDLE, Clock.systemUTC(), ownedWatchdog);
    this.server =
        builder
            .addService(
                UndecodableMessages.guard(
                    ServerInterceptors.intercept(
                        new FederationService(coordinator, transfers, maxConcurrentUploads, uploadLimits), new ReadinessGate(coordinator::isStarted))))
            .addService(UndecodableMessages.guard(ServerInterceptors.intercept(new AdminService(coordinator), new ReadinessGate(coordinator::isStarted))))
            .addService(UndecodableMessages.guard(health.getHealthService().bindService()))
            .addService(UndecodableMessages.guard(ProtoReflectionServiceV1.newInstance().bindService()))
            .build();
  }

  /**
   * Opens the port with health NOT_SERVING; Federation calls are answered UNAVAILABLE until
   * {@link #serving()} (the coordinator is still restoring its checkpoint).
   */
  public CoordinatorServer start() throws IOException {
    health.setStatus("", ServingStatus.NOT_SERVING);
    health.setStatus(FederationGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
    server.start();
    return this;
  }

  /** The coordinator is ready: health turns SERVING. */
  public void serving() {
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(FederationGrpc.SERVICE_NAME, ServingStatus.SERVING);
  }

  /** The bound port (for a Netty server started on port 0). */
  public int port() {
    return server.getPort();
  }

  /** Health first (load balancers stop sending), then rounds and their streams, then the transport, so no stream is cut mid-message. */
  @Override
  public void close() throws InterruptedException {
    health.enterTerminalState();
    coordinator.close();
    server.shutdown();
    if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (ownedWatchdog != null) {
      ownedWatchdog.shutdownNow();
    }
  }
}
