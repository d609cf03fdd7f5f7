package io.fedbase.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.MetaTrainer;
import io.fedbase.learn.MetaTrainingConfig;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Schedule;
import io.fedbase.node.metrics.NodeMetrics;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.runtime.TrainingGate;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Role;
import io.fedbase.security.SigningIdentity;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import io.fedbase.testing.Eventually;
import io.fedbase.wire.Assignment;
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
    return FederationSettings.builder()
        .setPolicy(new RoundPolicy(2, 2, deadline))
        .setTasks(TASKS)
        .optInner(INNER)
        .optTau(Schedule.linear(1.0, 0.3))
        .optScheduleRounds(3)
        .optSeed(SEED)
        .optTargetRounds(rounds)
        .build();
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

  /** Each node's delta per round, as it computed it (before any encoding or masking): "a@1". */
  private final Map<String, Bundle> deltas = new java.util.concurrent.ConcurrentHashMap<>();

  private final Map<String, CollectorRegistry> registries = new java.util.concurrent.ConcurrentHashMap<>();

  private void startNode(String id, int port, TrainingGate gate, List<String> events) {
    startNode(id, port, gate, events, null);
  }

  private void startNode(String id, int port, TrainingGate gate, List<String> events, SigningIdentity identity) {
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
            .optSigningIdentity(identity)
            .optListener(
                NodeListener.both(new NodeMetrics(registry), new NodeListener() {
                  @Override
                  public void joined(String coordinator, long priorVersion) {
                    events.add(id + " joined v" + priorVersion);
                  }

                  @Override
                  public void roundDone(io.fedbase.wire.Assignment task, io.fedbase.learn.BatchResult result, double seconds, long bytes) {
                    deltas.put(id + "@" + task.round(), result.meanDelta());
                  }

                  @Override
                  public void roundSkipped(io.fedbase.wire.Assignment task, String reason) {
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
    // Round by round from each committed version: over several rounds the two paths drift apart by
    // float32 rounding alone (per-node means, then their mean, vs one mean): a 1e-8 difference can
    // carry a later step across a kink of the network (and Adam's first step turns tiny gradients
    // into lr-sized moves), so the end priors differ by a CPU-dependent amount, up to a percent.
    CheckpointStore store = new CheckpointStore(dir.resolve("state"), io.fedbase.bundle.BundleLayout.of(SPEC));
    MetaTrainer local = localTrainer(3);
    for (int round = 1; round <= 3; round++) {
      Bundle base = BundleFiles.read(store.priorFile(round - 1), io.fedbase.bundle.BundleLayout.of(SPEC)).bundle();
      Bundle committed = BundleFiles.read(store.priorFile(round), io.fedbase.bundle.BundleLayout.of(SPEC)).bundle();
      Bundle expected = local.round(base, round - 1, (r, w) -> {});
      double moved = committed.minus(base).norm(false) + committed.minus(base).norm(true);
      double apart = committed.minus(expected).norm(false) + committed.minus(expected).norm(true);
      assertTrue(moved > 0.01, "round " + round + " moved the prior: " + moved);
      assertTrue(apart < 1e-4 * moved, "round " + round + ": federated vs local differ by " + apart + " (the round moved " + moved + ")");
    }
    assertEquals(federated, BundleFiles.read(store.priorFile(3), io.fedbase.bundle.BundleLayout.of(SPEC)).bundle());
  }

  private static final float CLIP = 100f;

  /**
   * The same federation with every round securely aggregated: every committed version is the
   * meta-update of the mean of the deltas the nodes computed (captured before masking), within the
   * fixed-point rounding. (Not compared with the local outer loop: rounding noise of 1e-7 per value,
   * far above float32's summation error, is enough for Adam's sign-sensitive steps to move later
   * rounds' deltas by a percent.)
   */
  @Test
  void securelyAggregatedRoundsCommitTheMeanOfTheNodesDeltas() throws Exception {
    CertificateAuthority ca = CertificateAuthority.init(dir.resolve("ca"), "e2e", Duration.ofDays(1), java.time.Clock.systemUTC());
    List<String> events = new CopyOnWriteArrayList<>();
    try (CoordinatorRuntime c =
        CoordinatorRuntime.start(
            SPEC,
            settings(3, Duration.ofMinutes(3)).toBuilder().optSecureAggregation(new SecureAggregationSettings(1.0, CLIP, Duration.ofSeconds(30))).build(),
            FiniteDifferenceUpdate.defaults(),
            dir.resolve("state"),
            ParameterInitializer.initialize(SPEC, SEED),
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
            new CoordinatorMetrics(new CollectorRegistry(true)))) {
      TrainingGate gate = new TrainingGate();
      for (String id : List.of("a", "b")) {
        IssuedCertificate issued = ca.issue(new Identity(id, Role.NODE), List.of(), List.of(), Duration.ofDays(1));
        startNode(id, c.port(), gate, events, new SigningIdentity(issued.key(), issued.certificate(), ca.certificate()));
      }
      c.coordinator().finished().get(5, TimeUnit.MINUTES);
      assertEquals(3, c.coordinator().current().version(), String.valueOf(events));
      assertTrue(c.coordinator().status().recentRounds().stream().allMatch(o -> o.committed()), c.coordinator().status() + " " + events);
    }
    io.fedbase.bundle.BundleLayout layout = io.fedbase.bundle.BundleLayout.of(SPEC);
    // per value at most (nodes / scale) = nodes * nodes * clip / (2^31 - 1), before the meta step (β ≤ 1)
    double bound = 2 * 2 * CLIP / (Math.pow(2, 31) - 1) * Math.sqrt(layout.totalSize());
    Bundle base = ParameterInitializer.initialize(SPEC, SEED);
    for (int round = 1; round <= 3; round++) {
      Bundle a = deltas.get("a@" + round);
      Bundle b = deltas.get("b@" + round);
      Bundle replay = FiniteDifferenceUpdate.defaults().step(base, a.plusScaled(b, 1f).scaled(0.5f), round - 1, 3);
      Bundle committed = io.fedbase.bundle.BundleFiles.read(dir.resolve("state").resolve(String.format("prior-v%08d.fbb", round)), layout).bundle();
      double apart = Math.hypot(committed.minus(replay).norm(false), committed.minus(replay).norm(true));
      assertTrue(apart < bound, "round " + round + ": the committed prior is " + apart + " from the nodes' mean (bound " + bound + ")");
      assertTrue(a.minus(b).norm(false) > 100 * bound, "the nodes' deltas differ, so a lost or doubled delta would show");
      base = committed;
    }
  }

  /** What the local outer loop makes of the same tasks in {@code rounds} rounds (the federation's schedule horizon is 3). */
  private MetaTrainer localTrainer(int rounds) {
    MetaTrainingConfig config = new MetaTrainingConfig(rounds, 4, TASKS, INNER, Schedule.linear(1.0, 0.3), 0, SEED);
    return new MetaTrainer(
        new InnerLoop(new Supernet(SPEC), INNER, manager),
        new TaskSampler(data, TASKS, SEED),
        FiniteDifferenceUpdate.defaults(),
        AggregationRule.weightedMean(),
        config);
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
    Eventually.await("prior version " + version, Duration.ofMinutes(3), () -> c.coordinator().status(), s -> s.priorVersion() >= version);
  }
}
