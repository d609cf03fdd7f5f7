package io.fedbase.coordinator;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundCoordinator;
import io.fedbase.coordinator.store.Checkpoint;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.coordinator.transport.CoordinatorServer;
import io.fedbase.coordinator.transport.FederationService;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.space.SupernetSpec;
import io.grpc.ServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running coordinator: checkpoint store, round state machine and gRPC server wired together and
 * shut down in the right order. The CLI command and the demo both start one of these.
 */
public final class CoordinatorRuntime implements AutoCloseable {

  private final ScheduledExecutorService scheduler;
  private final RoundCoordinator coordinator;
  private final CoordinatorServer server;
  private final Checkpoint resumedFrom;

  private CoordinatorRuntime(
      ScheduledExecutorService scheduler, RoundCoordinator coordinator, CoordinatorServer server, Checkpoint resumedFrom) {
    this.scheduler = scheduler;
    this.coordinator = coordinator;
    this.server = server;
    this.resumedFrom = resumedFrom;
  }

  /**
   * Resumes the federation in {@code stateDir} (or starts it from {@code initialPrior}) and serves
   * it on {@code serverBuilder}, recording into {@code metrics}.
   */
  public static CoordinatorRuntime start(
      SupernetSpec spec,
      FederationSettings settings,
      MetaOptimizer optimizer,
      Path stateDir,
      Bundle initialPrior,
      ServerBuilder<?> serverBuilder,
      CoordinatorMetrics metrics)
      throws IOException {
    return start(spec, settings, optimizer, stateDir, initialPrior, serverBuilder, metrics, FederationService.DEFAULT_CONCURRENT_UPLOADS);
  }

  /** {@link #start} with at most {@code maxConcurrentUploads} payloads read at once. */
  public static CoordinatorRuntime start(
      SupernetSpec spec,
      FederationSettings settings,
      MetaOptimizer optimizer,
      Path stateDir,
      Bundle initialPrior,
      ServerBuilder<?> serverBuilder,
      CoordinatorMetrics metrics,
      int maxConcurrentUploads)
      throws IOException {
    ScheduledExecutorService scheduler =
        Executors.newScheduledThreadPool(
            1,
            r -> {
              Thread t = new Thread(r, "fedbase-rounds");
              t.setDaemon(true);
              return t;
            });
    RoundCoordinator coordinator =
        new RoundCoordinator(
            spec,
            settings,
            Strategies.of(settings, BundleLayout.of(spec)),
            optimizer,
            new CheckpointStore(stateDir, BundleLayout.of(spec)), Clock.systemUTC(), scheduler, Duration.ofSeconds(15), metrics);
    CoordinatorServer server = new CoordinatorServer(serverBuilder, coordinator, Duration.ofSeconds(10), metrics, maxConcurrentUploads).start();
    try {
      // the port is open (health NOT_SERVING) while the checkpoint is restored
      Checkpoint from = coordinator.start(initialPrior);
      server.serving();
      return new CoordinatorRuntime(scheduler, coordinator, server, from);
    } catch (IOException | RuntimeException e) {
      try {
        server.close();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      scheduler.shutdownNow();
      throw e;
    }
  }

  public RoundCoordinator coordinator() {
    return coordinator;
  }

  public int port() {
    return server.port();
  }

  /** The checkpoint this run started from. */
  public Checkpoint resumedFrom() {
    return resumedFrom;
  }

  @Override
  public void close() throws InterruptedException {
    server.close();
    scheduler.shutdownNow();
    scheduler.awaitTermination(5, TimeUnit.SECONDS);
  }
}
