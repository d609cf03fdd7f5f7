package io.fedbase.cli.command;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.Ports;
import io.fedbase.cli.option.FederationOptions;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.MetaUpdateOptions;
import io.fedbase.cli.option.ServerTlsOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPhase;
import io.fedbase.metrics.MetricsEndpoint;
import io.fedbase.space.SupernetSpec;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coordinator}: serves a federation until its rounds are done or it is stopped. */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a federation: hold the prior and run its rounds.",
      "Runs rounds with the connected nodes, applies the meta-update and checkpoints every committed version",
      "to --state-dir. Restarting with the same --state-dir resumes."
    })
public final class CoordinatorCommand implements Callable<Integer> {

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;
  @Mixin FederationOptions federation;
  @Mixin MetaUpdateOptions meta;

  @Option(names = "--port", defaultValue = "7070", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--metrics-port",
      defaultValue = "9464",
      description = "HTTP port of /metrics (Prometheus) and /healthz; -1 = off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--state-dir", required = true, description = "Where committed priors and the round state live.")
  Path stateDir;

  @Option(names = "--rounds", defaultValue = "0", description = "Stop after this many committed rounds; 0 = run until stopped (default).")
  long rounds;

  @Option(names = "--init", description = "Start a new federation from this prior bundle instead of a fresh supernet.")
  Path init;

  @Mixin ServerTlsOptions tls;

  @Option(
      names = "--max-concurrent-uploads",
      defaultValue = "8",
      description = "Uploads whose payload is read at once; the rest wait under gRPC flow control (default: ${DEFAULT-VALUE}).")
  int maxConcurrentUploads;

  @Override
  public Integer call() throws Exception {
    tls.validate();
    if (federation.secure.enabled && tls.insecure) {
      throw new IllegalArgumentException(
          "--secure-aggregation needs node certificates to sign the key exchange: serve mutual TLS (--ca --cert --key), not --insecure");
    }
    SupernetSpec spec = supernet.spec();
    FederationSettings settings = federation.settings(spec.ways(), inner.config(), meta, rounds);
    settings.privacy().ifPresent(dp -> dp.warnings(rounds, settings.policy().minNodes(), settings.secureAggregation().isPresent()).forEach(System.err::println));
    Bundle initial =
        init == null ? ParameterInitializer.initialize(spec, federation.seed) : BundleFiles.read(init, BundleLayout.of(spec)).bundle();
    CountDownLatch stopped = new CountDownLatch(1);
    CollectorRegistry registry = new CollectorRegistry(true);
    CoordinatorMetrics coordinatorMetrics = new CoordinatorMetrics(registry);
    CoordinatorRuntime started;
    try {
      started =
          CoordinatorRuntime.start(
              spec,
              settings,
              meta.optimizer(),
              stateDir,
              initial,
              tls.serverBuilder(new InetSocketAddress(bind, port), coordinatorMetrics),
              coordinatorMetrics,
              maxConcurrentUploads);
    } catch (IOException e) {
      throw Ports.explainBind(e, "port " + port + " on " + bind, "--port PORT");
    }
    try (CoordinatorRuntime runtime = started;
        MetricsEndpoint metrics = Ports.metrics(bind, metricsPort, registry, () -> runtime.coordinator().phase() != RoundPhase.STOPPED)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "fedbase-shutdown"));
      System.out.printf(
          "coordinator: %s on %s:%d (%s), state %s, prior version %d, waiting for %d node(s)%n",
          spec,
          bind,
          runtime.port(),
          tls.mode(),
          stateDir,
          runtime.resumedFrom().version(),
          federation.minNodes);
      if (metrics != null) {
        System.out.printf("coordinator: metrics on http://%s:%d/metrics, health on /healthz%n", bind, metrics.port());
      }
      runtime.coordinator().finished().thenRun(stopped::countDown);
      stopped.await();
      System.out.println("coordinator: prior version " + runtime.coordinator().current().version() + " in " + stateDir);
    }
    return 0;
  }
}
