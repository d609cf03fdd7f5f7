package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.HeldOutRun;
import io.fedbase.cli.OutputDirectory;
import io.fedbase.cli.Progress;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.SecureAggregationOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.TaskStackingOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.CoordinatorStatus;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundOutcome;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.ImageDataset;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.engine.StopRequest;
import io.fedbase.engine.StoppedException;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.Schedule;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.runtime.TrainingGate;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.grpc.ManagedChannel;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the README's main job. A coordinator and N nodes in one process, talking gRPC over
 * loopback (real Netty transport); each node owns a disjoint share of the training classes. After
 * the rounds, the federated prior and a fresh supernet adapt to held-out classes side by side.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a whole federation on this machine and compare its prior with training from scratch.",
      "A coordinator and --nodes nodes on loopback gRPC, each node owning a disjoint share of the training",
      "classes; then the federated prior and a fresh supernet are adapted to held-out classes, and both",
      "accuracies and the derived genotype are printed."
    })
public final class DemoCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;

  @Option(names = "--nodes", defaultValue = "3", description = "Client nodes in the federation (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--rounds", defaultValue = "60", description = "Committed rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--tasks-per-node", defaultValue = "2", description = "Tasks per node and round (default: ${DEFAULT-VALUE}).")
  int tasksPerNode;

  @Option(names = "--data", defaultValue = "fashion-mnist", description = "Training data of the nodes (default: ${DEFAULT-VALUE}).")
  String data;

  @Option(names = "--classes", defaultValue = "0-5", description = "Training classes, dealt round-robin to the nodes (default: ${DEFAULT-VALUE}).")
  String classes;

  @Option(names = "--test-data", defaultValue = "fashion-mnist:test", description = "Held-out data (default: ${DEFAULT-VALUE}).")
  String testData;

  @Option(names = "--test-classes", defaultValue = "6-9", description = "Held-out classes (default: ${DEFAULT-VALUE}).")
  String testClasses;

  @Option(names = "--tasks", defaultValue = "40", description = "Held-out tasks (default: ${DEFAULT-VALUE}).")
  int tasks;

  @Option(names = "--steps", defaultValue = "0,1,2,5,10", split = ",", description = "Adaptation steps to compare at (default: ${DEFAULT-VALUE}).")
  int[] steps;

  @Option(names = "--out", defaultValue = "runs/demo", description = "Where the state, prior and results go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--secure-aggregation",
      description = "Securely aggregate every round: the coordinator learns only the sum of the nodes' deltas (pairwise masks, Bonawitz et al. 2017).")
  boolean secureAggregation;

  @Option(names = "--encoding", defaultValue = "fp32", description = "Nodes' upload encoding: fp32, fp16, bf16 or int8 (default: ${DEFAULT-VALUE}).")
  String encoding;

  @Mixin DeviceOption device;

  @Mixin TaskStackingOption stacking;

  @Override
  public Integer call() throws Exception {
    try (OutputDirectory output = OutputDirectory.of(out)) {
      run(output);
      output.keep();
    }
    return 0;
  }

  private void run(OutputDirectory output) throws Exception {
    if (nodes < 1) {
      throw new IllegalArgumentException("--nodes must be at least 1, got " + nodes);
    }
    ImageDataset train = DataOptions.load(data, classes);
    // the held-out data is checked now, not after the whole federation has run
    ImageDataset test = DataOptions.load(testData, testClasses);
    List<List<Integer>> shares = deal(train.classes(), nodes);
    int ways = shares.stream().mapToInt(List::size).min().orElse(0);
    if (ways < 2) {
      throw new IllegalArgumentException(
          nodes + " nodes share " + train.classes().size() + " classes; every node needs at least 2 (use fewer --nodes or more --classes)");
    }
    SupernetSpec spec = supernet.spec().toBuilder().setWays(ways).build();
    Path stateDir = output.create().resolve("state");
    OutputDirectory.deleteRecursively(stateDir);
    List<String> nodeIds = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      nodeIds.add("node-" + (i < 26 ? String.valueOf((char) ('a' + i)) : Integer.toString(i + 1)));
    }
    DemoPki pki = DemoPki.create(out.resolve("pki"), nodeIds);
    System.out.printf(
        "fedbase demo: a coordinator and %d nodes on loopback gRPC with mutual TLS (a demo CA in %s), %s, %d-way tasks%n",
        nodes, out.resolve("pki"), spec, ways);
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(nodes, nodes, Duration.ofMinutes(10)))
            .optTasksPerNode(tasksPerNode)
            .setTasks(new TaskSpec(ways, 10, 5))
            .optInner(inner.config())
            .optTau(Schedule.linear(1.0, 0.3))
            .optScheduleRounds(rounds)
            .optSeed(seed)
            .optTargetRounds(rounds)
            .build();
    if (secureAggregation) {
      settings = settings.toBuilder().optSecureAggregation(SecureAggregationOptions.defaults()).build();
    }
    Bundle prior;
    CoordinatorMetrics metrics = new CoordinatorMetrics(new CollectorRegistry(true));
    try (CoordinatorRuntime coordinator =
        CoordinatorRuntime.start(
            spec,
            settings,
            FiniteDifferenceUpdate.defaults(),
            stateDir,
            ParameterInitializer.initialize(spec, seed),
            pki.server().serverBuilder(new InetSocketAddress("127.0.0.1", 0), metrics),
            metrics)) {
      String target = "127.0.0.1:" + coordinator.port();
      TrainingGate gate = new TrainingGate();
      List<Thread> threads = new ArrayList<>();
      List<ManagedChannel> channels = new ArrayList<>();
      List<NDManager> managers = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        String id = nodeIds.get(i);
        ImageDataset share = train.select(new ClassSelection(shares.get(i)));
        System.out.printf("  %s: classes %s (%d images), never sent anywhere%n", id, shares.get(i), share.size());
        ManagedChannel channel = CoordinatorChannels.open(target, pki.client(id));
        NDManager manager = device.newManager();
        channels.add(channel);
        managers.add(manager);
        NodeRuntime node =
            NodeRuntime.builder()
                .setClient(new CoordinatorClient(channel), target)
                .setNodeId(id)
                .setData(share)
                .setCacheDir(out.resolve("cache").resolve(id))
                .setManager(manager)
                .optTrainingGate(gate)
                .optTasksAtOnce(stacking.value())
                .optEncoding(DeltaEncoding.parse(encoding))
                .optSigningIdentity(pki.client(id).signingIdentity().orElseThrow())
                .build();
        Thread t = new Thread(() -> runNode(node, id), id);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      try (Progress progress = Progress.start("rounds", rounds)) {
        while (!coordinator.coordinator().finished().isDone()) {
          if (StopRequest.requested()) {
            // the nodes end their steps by themselves; the coordinator's checkpoint closes with it
            output.keep();
            throw new StoppedException(StopRequest.reason().orElseThrow())
                .keeping("the coordinator's state in " + stateDir + " (prior version " + coordinator.coordinator().status().priorVersion() + ")");
          }
          if (threads.stream().noneMatch(Thread::isAlive)) {
            throw new IllegalStateException("every node stopped before the rounds were done; see the messages above");
          }
          CoordinatorStatus s = coordinator.coordinator().status();
          progress.update(s.priorVersion(), describe(s));
          try {
            coordinator.coordinator().finished().get(1, TimeUnit.SECONDS);
          } catch (TimeoutException ignored) {
            // keep updating the progress line
          }
        }
        progress.update(rounds, describe(coordinator.coordinator().status()));
      }
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      managers.forEach(NDManager::close);
      prior = coordinator.coordinator().current().prior();
    }
    BundleFiles.write(out.resolve("prior.fbb"), StoredBundle.parameters(prior, spec, Map.of("source", "demo", "rounds", Integer.toString(rounds))));
    compareOnHeldOut(spec, prior, ways, test);
  }

  private void compareOnHeldOut(SupernetSpec spec, Bundle prior, int ways, ImageDataset test) throws IOException {
    System.out.printf(
        "adapting the federated prior and a fresh supernet to %d held-out %d-way 5-shot tasks of classes %s%n", tasks, ways, testClasses);
    HeldOutComparison.Result result;
    try (NDManager root = device.newManager()) {
      result = HeldOutRun.compare(spec, prior, test, new TaskSpec(ways, 5, 15), inner.config(), 0.3f, tasks, steps, HeldOutRun.arms(false), seed, root);
    }
    String table = HeldOutRun.table(result);
    ArchitectureLogits logits = ArchitectureLogits.of(prior, spec.operations(), spec.nodes());
    String genotype = DartsNotation.format(GenotypeRule.BASE.derive(logits));
    System.out.println();
    System.out.println("held-out query accuracy after k adaptation steps (chance " + String.format(Locale.ROOT, "%.2f", 1.0 / ways) + "):");
    System.out.println(table);
    System.out.println("derived genotype: " + genotype);
    Files.writeString(out.resolve("results.md"), table + "\ngenotype: " + genotype + "\n");
    GenotypeJson.write(out.resolve("genotype.json"), logits, GenotypeRule.BASE, Map.of("source", out.resolve("prior.fbb").toString()));
    System.out.println("prior, genotype and results in " + out);
  }

  private static void runNode(NodeRuntime node, String id) {
    try {
      node.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      System.err.println(id + ": " + e.getMessage());
    }
  }

  private static String describe(CoordinatorStatus s) {
    RoundOutcome last = s.recentRounds().isEmpty() ? null : s.recentRounds().get(0);
    if (last == null || !last.committed()) {
      return "round " + s.round() + ", " + s.connectedNodes().size() + " nodes";
    }
    return String.format(Locale.ROOT, "round %d, adapted loss %.3f, query acc %.3f", last.round(), last.supportLossAfter(), last.queryAccuracy());
  }

  /** Deals classes round-robin: node i gets the i-th, (i+N)-th, ... class. */
  static List<List<Integer>> deal(List<Integer> classes, int n) {
    List<List<Integer>> shares = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      shares.add(new ArrayList<>());
    }
    for (int i = 0; i < classes.size(); i++) {
      shares.get(i % n).add(classes.get(i));
    }
    return shares;
  }
}
