package io.fedbase.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.FiniteDifferenceUpdate;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.learn.MetaTrainer;
import io.fedbase.learn.MetaTrainingConfig;
import io.fedbase.learn.Schedule;
import io.fedbase.node.metrics.NodeMetrics;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.runtime.TrainingGate;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.ParameterInitializer;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import io.github.resilience4j.core.IntervalFunction;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.client.CollectorRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coordinator and nodes over Netty on loopback with the real DJL learner and Fashion-MNIST: the
 * federated prior equals the local meta-trainer's, and nodes ride out a coordinator restart.
 */
class FederationEndToEndTest {

  private static final SupernetSpec SPEC = SupernetSpec.profile("small");
  private static final TaskSpec TASKS = new TaskSpec(4, 5, 5);
  private static final InnerLoopConfig INNER = InnerLoopConfig.defaults().withSteps(3);
  private static final long SEED = 17;

  @TempDir Path dir;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<NodeRuntime> nodes = new ArrayList<>();
  private final NDManager manager = NDManager.newBaseManager();
  private final ImageDataset data =
      new DatasetLoader().load(DatasetSpec.parse("fashion-mnist")).select(ClassSelection.parse("0-5"));

  @AfterEach
  void tearDown() throws InterruptedException {
    nodes.forEach(NodeRuntime::stop);
    channels.forEach(ManagedChannel::shutdownNow);
    for (Thread t : threads) {
      t.join(10_000);
      assertTrue(!t.isAlive(), "node thread " + t.getName() + " did not stop");
    }
    manager.close();
  }

  private FederationSettings settings(long rounds, Duration deadline) {
    return new FederationSettings(
        new RoundPolicy(2, 2, deadline), 2, TASKS, INNER, Schedule.linear(1.0, 0.3), 3, 0, SEED, rounds);
  }

  private CoordinatorRuntime coordinator(long rounds, int port, Path stateDir) throws Exception {
    return CoordinatorRuntime.start(
        SPEC,
        settings(rounds, Duration.ofSeconds(60)),
        FiniteDifferenceUpdate.defaults(),
        stateDir,
        ParameterInitializer.initialize(SPEC, SEED),
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)),
        new CoordinatorMetrics(new CollectorRegistry(true)));
  }

  private final Map<String, CollectorRegistry> registries = new java.util.concurrent.ConcurrentHashMap<>();

  private void startNode(String id, int port, TrainingGate gate, List<String> events) {
    CollectorRegistry registry = registries.computeIfAbsent(id, k -> new CollectorRegistry(true));
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    channels.add(channel);
    NodeRuntime node =
        NodeRuntime.builder()
            .setClient(new CoordinatorClient(channel), "loopback")
            .setNodeId(id)
            .setData(data)
            .setCacheDir(dir.resolve("cache-" + id))
            .setManager(manager)
            .optTrainingGate(gate)
            .optBackoff(IntervalFunction.of(Duration.ofMillis(200)))
            .optListener(
                NodeListener.both(new NodeMetrics(registry), new NodeListener() {
                  @Override
                  public void joined(String coordinator, long priorVersion) {
                    events.add(id + " joined v" + priorVersion);
                  }

                  @Override
                  public void roundSkipped(io.fedbase.node.runtime.RoundTask task, String reason) {
                    events.add(id + " skipped " + task.round() + ": " + reason);
                  }
                }))
            .build();
    nodes.add(node);
    Thread t =
        new Thread(
            () -> {
              try {
                node.run();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            id);
    t.start();
    threads.add(t);
  }

  @Test
  void federatedRoundsGiveTheLocalMetaTrainersPrior() throws Exception {
    Bundle federated;
    List<String> events = new CopyOnWriteArrayList<>();
    try (CoordinatorRuntime c = coordinator(3, 0, dir.resolve("state"))) {
      TrainingGate gate = new TrainingGate();
      startNode("a", c.port(), gate, events);
      startNode("b", c.port(), gate, events);
      c.coordinator().finished().get(5, TimeUnit.MINUTES);
      federated = c.coordinator().current().prior();
      assertEquals(3, c.coordinator().current().version(), String.valueOf(events));
    }
    CollectorRegistry a = registries.get("a");
    assertEquals(3.0, a.getSampleValue("fedbase_node_rounds_total", new String[] {"outcome"}, new String[] {"done"}));
    assertEquals(
        3.0 * 4 * io.fedbase.bundle.BundleLayout.of(SPEC).totalSize(), a.getSampleValue("fedbase_node_upload_bytes_total"));
    assertEquals(3.0, a.getSampleValue("fedbase_node_inner_step_seconds_count"));
    assertEquals(2.0, a.getSampleValue("fedbase_node_prior_version"), "the last round started from version 2");
    MetaTrainingConfig config = new MetaTrainingConfig(3, 4, TASKS, INNER, Schedule.linear(1.0, 0.3), 0, SEED);
    Bundle local =
        new MetaTrainer(
                new InnerLoop(new Supernet(SPEC), INNER, manager),
                new TaskSampler(data, TASKS, SEED),
                FiniteDifferenceUpdate.defaults(),
                AggregationRule.weightedMean(),
                config)
            .run(ParameterInitializer.initialize(SPEC, SEED), 0, (r, w) -> {});
    Bundle initial = ParameterInitializer.initialize(SPEC, SEED);
    double moved = local.minus(initial).norm(false);
    double apart = federated.minus(local).norm(false) + federated.minus(local).norm(true);
    assertTrue(moved > 0.1, "the prior moved: " + moved);
    // the only difference is where float32 rounding happens (per-node means, then their mean)
    assertTrue(apart < 1e-4 * moved, "federated vs local prior differ by " + apart + " (moved " + moved + ")");
  }

  @Test
  void nodesReconnectWhenTheCoordinatorRestarts() throws Exception {
    Path state = dir.resolve("state");
    List<String> events = new CopyOnWriteArrayList<>();
    int port;
    TrainingGate gate = new TrainingGate();
    try (CoordinatorRuntime c = coordinator(0, 0, state)) {
      port = c.port();
      startNode("a", port, gate, events);
      startNode("b", port, gate, events);
      awaitVersion(c, 1);
    }
    try (CoordinatorRuntime c = coordinator(0, port, state)) {
      assertTrue(c.resumedFrom().version() >= 1);
      long resumed = c.resumedFrom().version();
      awaitVersion(c, resumed + 1);
    }
    assertTrue(events.stream().filter(e -> e.startsWith("a joined")).count() >= 2, "node a rejoined: " + events);
  }

  private static void awaitVersion(CoordinatorRuntime c, long version) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (c.coordinator().current().version() < version) {
      if (System.nanoTime() > end) {
        throw new AssertionError("prior version " + version + " not reached; status " + c.coordinator().status());
      }
      Thread.sleep(50);
    }
  }
}
