package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.Ports;
import io.fedbase.cli.SelfCommand;
import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.FlagValue;
import io.fedbase.cli.option.TaskStackingOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.engine.StopRequest;
import io.fedbase.learn.BatchResult;
import io.fedbase.metrics.MetricsEndpoint;
import io.fedbase.node.metrics.NodeMetrics;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.node.worker.WorkerProcess;
import io.fedbase.supernet.Devices;
import io.fedbase.wire.Assignment;
import io.grpc.ManagedChannel;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
      "Join a federation with your data; only parameter deltas leave this machine.",
      "For every round, adapt the coordinator's prior on tasks from --data and upload only the mean",
      "parameter delta. Images and labels never leave this process. Reconnects by itself."
    })
public final class NodeCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin DataOptions data;

  @Option(names = "--coordinator", required = true, description = "HOST:PORT of the coordinator.")
  String coordinator;

  @Option(names = "--node-id", description = "This node's id: 1 to 64 of [A-Za-z0-9._-] (default with TLS: the certificate's).")
  String nodeId;

  @Option(names = "--cache-dir", defaultValue = ".cache/fedbase-priors", description = "Where fetched priors are kept (default: ${DEFAULT-VALUE}).")
  Path cacheDir;

  @Mixin DeviceOption device;

  @Mixin TaskStackingOption stacking;

  @Option(
      names = "--encoding",
      defaultValue = "fp32",
      description = "Upload encoding: fp32, fp16, bf16 or int8 (stochastically rounded); float32 if the coordinator does not accept it (default: ${DEFAULT-VALUE}).")
  String encoding;

  @Option(
      names = "--worker",
      defaultValue = "process",
      description = {
        "Where adaptations run: process (a child process the node outlives: a native crash, SIGKILL or out-of-memory",
        "there costs one round, and a fresh worker takes the next) or inline (in the node's process) (default: ${DEFAULT-VALUE})."
      })
  String worker;

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
    NodeListener listener = NodeListener.both(new PrintingListener(nodeId), new NodeMetrics(registry));
    int tasksAtOnce = stacking.value();
    boolean inline = switch (worker) {
      case "inline" -> true;
      case "process" -> false;
      default -> throw new IllegalArgumentException("--worker must be process or inline, got '" + FlagValue.shown(worker) + "'");
    };
    Devices.Selected inlineDevice = inline ? device.select(System.err) : null;
    try (NDManager manager = inline ? NDManager.newBaseManager(inlineDevice.device()) : null;
        WorkerProcess workerProcess = inline ? null : workerProcess(listener);
        MetricsEndpoint metrics = Ports.metrics(null, metricsPort, registry, () -> !channel.isShutdown())) {
      NodeRuntime.Builder builder =
          NodeRuntime.builder()
              .setClient(new CoordinatorClient(channel), coordinator)
              .setNodeId(nodeId)
              .setData(dataset)
              .setCacheDir(cacheDir)
              .optEncoding(uploadEncoding)
              .optSigningIdentity(tls.signingIdentity().orElse(null))
              .optTasksAtOnce(tasksAtOnce)
              .optListener(listener);
      NodeRuntime node = inline ? builder.setManager(manager).build() : builder.optAdapter(workerProcess).build();
      if (inlineDevice != null) {
        listener.deviceSelected(TrainingDevice.of(inlineDevice));
      }
      if (workerProcess != null) {
        // the node joins once its worker's engine is up on a device it can use
        workerProcess.warmUp(Duration.ofMinutes(2));
      }
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
                if (workerProcess != null) {
                  // a supervisor's SIGTERM reaches the node only: the worker ends its step too
                  workerProcess.signalStop();
                }
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

  /**
   * The worker process: this JVM's own command and settings running {@code node-worker} on the same
   * data, with its crash reports kept under the cache directory instead of the working directory.
   */
  private WorkerProcess workerProcess(NodeListener listener) throws IOException {
    Path base = cacheDir.toAbsolutePath();
    Path crashes = Files.createDirectories(base.resolve("worker-crashes"));
    List<String> command = SelfCommand.of(null, crashes);
    command.add("node-worker");
    command.addAll(
        List.of("--data", data.data, "--device", device.choice, "--threads", threads.threads, "--tasks-at-once", Integer.toString(stacking.value())));
    if (data.classes != null) {
      command.addAll(List.of("--classes", data.classes));
    }
    return WorkerProcess.builder()
        .setCommand(command)
        .setWorkDir(base.resolve("work").resolve("node-" + nodeId + "-" + ProcessHandle.current().pid()))
        .optListener(listener)
        .build();
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
    public void deviceSelected(TrainingDevice device) {
      System.out.printf("node %s: adapts on %s%n", nodeId, device.description());
    }

    @Override
    public void roundDone(Assignment task, BatchResult r, double seconds, long uploadBytes) {
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
    public void roundSkipped(Assignment task, String reason) {
      System.out.printf("node %s: round %d skipped: %s%n", nodeId, task.round(), reason);
    }

    @Override
    public void workerCrashed(String status, int inARow) {
      System.out.printf("node %s: the worker process died (%s), %d in a row%n", nodeId, status, inARow);
    }

    @Override
    public void disconnected(String reason, long retryInMillis) {
      System.out.printf("node %s: %s; reconnecting in %.1f s%n", nodeId, reason, retryInMillis / 1000.0);
    }
  }
}
