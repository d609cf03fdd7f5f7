package io.fedbase.cli;

import ai.djl.ndarray.NDManager;
import io.fedbase.data.ImageDataset;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.engine.StopRequest;
import io.fedbase.learn.BatchResult;
import io.fedbase.metrics.MetricsEndpoint;
import io.fedbase.node.metrics.NodeMetrics;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.runtime.RoundTask;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.supernet.Devices;
import io.grpc.ManagedChannel;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code node}: joins a federation and contributes deltas from private data until it ends. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Join a federation: for every round, adapt the coordinator's prior on tasks from --data and upload",
      "only the mean parameter delta. Images and labels never leave this process. Reconnects by itself."
    })
final class NodeCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin DataOptions data;

  @Option(names = "--coordinator", required = true, description = "HOST:PORT of the coordinator.")
  String coordinator;

  @Option(names = "--node-id", description = "This node's id: 1 to 64 of [A-Za-z0-9._-] (default with TLS: the certificate's).")
  String nodeId;

  @Option(names = "--cache-dir", defaultValue = ".cache/fedbase-priors", description = "Where fetched priors are kept (default: ${DEFAULT-VALUE}).")
  Path cacheDir;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--encoding",
      defaultValue = "fp32",
      description = "Upload encoding: fp32, fp16, bf16 or int8 (stochastically rounded); float32 if the coordinator does not accept it (default: ${DEFAULT-VALUE}).")
  String encoding;

  @Mixin ClientTlsOptions tls;

  @Option(
      names = "--metrics-port",
      defaultValue = "9465",
      description = "HTTP port of /metrics (Prometheus) and /healthz; -1 = off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Override
  public Integer call() throws Exception {
    nodeId = tls.nodeId(nodeId);
    DeltaEncoding uploadEncoding = DeltaEncoding.parse(encoding);
    ManagedChannel channel = CoordinatorChannels.open(coordinator, tls);
    ImageDataset dataset;
    try {
      dataset = data.load();
    } catch (RuntimeException e) {
      CoordinatorChannels.close(channel);
      throw e;
    }
    CollectorRegistry registry = new CollectorRegistry(true);
    try (NDManager manager = NDManager.newBaseManager(Devices.select(device));
        MetricsEndpoint metrics = Ports.metrics(null, metricsPort, registry, () -> !channel.isShutdown())) {
      NodeRuntime node =
          NodeRuntime.builder()
              .setClient(new CoordinatorClient(channel), coordinator)
              .setNodeId(nodeId)
              .setData(dataset)
              .setCacheDir(cacheDir)
              .setManager(manager)
              .optEncoding(uploadEncoding)
              .optSigningIdentity(tls.signingIdentity().orElse(null))
              .optListener(NodeListener.both(new PrintingListener(nodeId), new NodeMetrics(registry)))
              .build();
      System.out.printf(
          "node %s: %d images of classes %s from %s, coordinator %s%n", nodeId, dataset.size(), dataset.classes(), dataset.source(), coordinator);
      if (metrics != null) {
        System.out.printf("node %s: metrics on port %d (/metrics, /healthz)%n", nodeId, metrics.port());
      }
      // a signal ends the round stream and the adaptation's current step; run() returns once both did
      try (AutoCloseable onStop =
          StopRequest.onRequest(
              () -> {
                node.stop();
                channel.shutdownNow();
              })) {
        node.run();
      }
    } finally {
      CoordinatorChannels.close(channel);
    }
    Optional<StopRequest.Reason> stopped = StopRequest.reason();
    if (stopped.isPresent()) {
      System.out.printf("node %s: left the federation on %s; nothing of an unfinished round was sent%n", nodeId, stopped.get().signal());
      return stopped.get().exitStatus();
    }
    return 0;
  }

  /** One line per event on standard output. */
  static final class PrintingListener implements NodeListener {
    private final String nodeId;

    PrintingListener(String nodeId) {
      this.nodeId = nodeId;
    }

    @Override
    public void joined(String coordinator, long priorVersion) {
      System.out.printf("node %s: joined %s (prior version %d)%n", nodeId, coordinator, priorVersion);
    }

    @Override
    public void roundDone(RoundTask task, BatchResult r, double seconds, long uploadBytes) {
      System.out.printf(
          Locale.ROOT,
          "node %s: round %d, %d tasks, loss %.3f->%.3f, query acc %.3f, %.1f s%n",
          nodeId,
          task.round(),
          r.tasks(),
          r.supportLossBefore(),
          r.supportLossAfter(),
          r.queryAccuracy(),
          seconds);
    }

    @Override
    public void roundSkipped(RoundTask task, String reason) {
      System.out.printf("node %s: round %d skipped: %s%n", nodeId, task.round(), reason);
    }

    @Override
    public void disconnected(String reason, long retryInMillis) {
      System.out.printf("node %s: %s; reconnecting in %.1f s%n", nodeId, reason, retryInMillis / 1000.0);
    }
  }
}
