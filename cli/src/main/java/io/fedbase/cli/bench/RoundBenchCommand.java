package io.fedbase.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.cli.FedbaseCli;
import io.fedbase.cli.Ports;
import io.fedbase.cli.ProcStatus;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench round}: a coordinator process and many lightweight simulated nodes (no training:
 * each uploads a fixed random delta as soon as it is assigned). Per round, the coordinator's
 * overhead is the round's duration minus the slowest node's assignment-to-receipt time; its RSS is
 * sampled after every round.
 */
@Command(
    name = "round",
    mixinStandardHelpOptions = true,
    description = {
      "Per-round coordinator overhead (median, p95) and RSS with --nodes simulated nodes.",
      "A probe on its own connection times GetStatus and Join throughout: whether the coordinator stays",
      "responsive while uploads are merged and rounds committed. --coordinator-jar runs another build's",
      "coordinator for a side-by-side comparison."
    })
public final class RoundBenchCommand implements Callable<Integer> {

  @Option(names = "--nodes", defaultValue = "200", description = "Simulated nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--heap", defaultValue = "512m", description = "The coordinator process's -Xmx (default: ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--max-concurrent-uploads", defaultValue = "8", description = "The coordinator's upload gate (default: ${DEFAULT-VALUE}).")
  int maxConcurrentUploads;

  @Option(names = "--profile", defaultValue = "small", description = "Supernet profile, which sets the delta's size: small or paper (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--probe-interval-ms", defaultValue = "20", description = "Pause between two probe calls (default: ${DEFAULT-VALUE}).")
  int probeIntervalMs;

  @Option(names = "--coordinator-jar", description = "Run the coordinator of this build (its fedbase.jar) instead of this one's.")
  Path coordinatorJar;

  /** Times (nanoTime) one node saw for one round. */
  private record Seen(long assigned, long receipt) {}

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (nodes < 1 || rounds < 1) {
      throw new IllegalArgumentException("--nodes and --rounds must be at least 1");
    }
    SupernetSpec spec = SupernetSpec.profile(profile).toBuilder().setWays(2).build();
    if (coordinatorJar != null) {
      report.inputFile("coordinator build", coordinatorJar);
    }
    BundleLayout layout = BundleLayout.of(spec);
    Path work = Files.createTempDirectory("fedbase-bench-round");
    int port = Ports.freeLoopbackPort();
    Process coordinator = launchCoordinator(work, port);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
    // the probe has a connection of its own, so it measures the coordinator, not the uploads' queue
    ManagedChannel probeChannel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    ExecutorService uploads = Executors.newFixedThreadPool(Math.min(nodes, 64));
    LatencyProbe probe = new LatencyProbe(probeChannel, probeIntervalMs);
    try {
      awaitServing(channel);
      probe.start();
      float[] values = new float[layout.totalSize()];
      SplittableRandom rng = new SplittableRandom(3);
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (rng.nextGaussian() * 1e-4);
      }
      ByteBuffer payload = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      payload.asFloatBuffer().put(values);
      String sha = Digests.sha256Hex(payload);
      CoordinatorClient client = new CoordinatorClient(channel);
      Map<Long, Map<String, long[]>> seen = new ConcurrentHashMap<>();
      Map<Long, Long> rssAfter = new ConcurrentHashMap<>();
      long[] peakKib = {0};
      CountDownLatch done = new CountDownLatch(nodes);
      FederationGrpc.FederationBlockingStub blocking = FederationGrpc.newBlockingStub(channel);
      for (int i = 0; i < nodes; i++) {
        String id = String.format("sim-%03d", i);
        blocking.withDeadlineAfter(30, TimeUnit.SECONDS).join(JoinRequest.newBuilder().setNodeId(id).build());
        FederationGrpc.newStub(channel)
            .watchRounds(
                WatchRoundsRequest.newBuilder().setNodeId(id).build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(RoundEvent e) {
                    if (!e.hasAssignment()) {
                      return;
                    }
                    RoundAssignment a = e.getAssignment();
                    long[] times = {System.nanoTime(), 0};
                    seen.computeIfAbsent(a.getRound(), r -> new ConcurrentHashMap<>()).put(id, times);
                    if (a.getRound() > 1 && !rssAfter.containsKey(a.getRound() - 1)) {
                      sample(rssAfter, a.getRound() - 1, peakKib, coordinator.pid());
                    }
                    uploads.execute(() -> {
                      try {
                        client.send(CoordinatorClient.deltaHeader(a.getRound(), id, a.getPriorVersion(), 1, layout.specHash(), payload.capacity()).build(), payload.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), sha, Duration.ofMinutes(5));
                        times[1] = System.nanoTime();
                      } catch (Exception ex) {
                        System.err.println(id + ": upload failed: " + ex);
                      }
                    });
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    // the federation reached --rounds: sample before the process exits
                    if (!rssAfter.containsKey((long) rounds)) {
                      sample(rssAfter, rounds, peakKib, coordinator.pid());
                    }
                    done.countDown();
                  }
                });
      }
      if (!done.await(30, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the rounds did not finish within 30 minutes");
      }
      long endOfLast = System.nanoTime();
      probe.stop();
      List<Double> overheadMs = new ArrayList<>();
      List<Double> roundMs = new ArrayList<>();
      JsonArray perRound = new JsonArray();
      for (long r = 1; r <= rounds; r++) {
        Map<String, long[]> now = seen.get(r);
        if (now == null || now.size() < nodes) {
          throw new IllegalStateException("round " + r + " reached " + (now == null ? 0 : now.size()) + " of " + nodes + " nodes");
        }
        long start = now.values().stream().mapToLong(t -> t[0]).min().orElseThrow();
        Map<String, long[]> next = seen.get(r + 1);
        long end = next == null ? endOfLast : next.values().stream().mapToLong(t -> t[0]).min().orElseThrow();
        long slowest = now.values().stream().mapToLong(t -> t[1] - t[0]).max().orElseThrow();
        double total = (end - start) / 1e6;
        double overhead = total - slowest / 1e6;
        roundMs.add(total);
        overheadMs.add(overhead);
        JsonObject o = new JsonObject();
        o.addProperty("round", r);
        o.addProperty("round_ms", total);
        o.addProperty("slowest_node_ms", slowest / 1e6);
        o.addProperty("overhead_ms", overhead);
        o.addProperty("coordinator_rss_mib", rssAfter.getOrDefault(r, -1L) / 1024.0);
        perRound.add(o);
      }
      double[] o = overheadMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double[] t = roundMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double roundMedian = BenchStats.median(t);
      double overheadMedian = BenchStats.median(o);
      double overheadP95 = BenchStats.quantile(o, 0.95);
      JsonObject json = new JsonObject();
      json.addProperty("benchmark", "round");
      json.addProperty("nodes", nodes);
      json.addProperty("rounds", rounds);
      json.addProperty("delta_kib", layout.totalSize() * Float.BYTES / 1024.0);
      json.addProperty("round_ms_median", roundMedian);
      json.addProperty("overhead_ms_median", overheadMedian);
      json.addProperty("overhead_ms_p95", overheadP95);
      json.addProperty("coordinator_peak_rss_mib", peakKib[0] / 1024.0);
      json.addProperty("coordinator_build", coordinatorJar == null ? "this build" : coordinatorJar.toString());
      json.addProperty("profile", profile);
      json.add("probe", probe.summary());
      json.add("per_round", perRound);
      System.out.printf(
          Locale.ROOT,
          "%d simulated nodes, %d rounds of %.0f KiB deltas: round %.0f ms median; coordinator overhead %.0f ms median, %.0f ms p95; coordinator RSS %s MiB by round, peak %.0f MiB%n",
          nodes, rounds, layout.totalSize() * Float.BYTES / 1024.0, roundMedian, overheadMedian, overheadP95,
          Arrays.toString(new java.util.TreeMap<>(rssAfter).values().stream().mapToLong(v -> v / 1024).toArray()), peakKib[0] / 1024.0);
      System.out.println(probe.describe());
      report.finish(json, null, null);
      return 0;
    } finally {
      probe.stop();
      probeChannel.shutdownNow();
      uploads.shutdownNow();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      coordinator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Process launchCoordinator(Path work, int port) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx" + heap, "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    if (coordinatorJar != null) {
      command.addAll(List.of("-jar", coordinatorJar.toAbsolutePath().toString()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), FedbaseCli.class.getName()));
    }
    command.addAll(
        List.of(
            "coordinator", "--profile", profile, "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
            "--state-dir", work.resolve("state").toString(), "--ways", "2", "--min-nodes", Integer.toString(nodes),
            "--quorum", Integer.toString(nodes), "--tasks-per-node", "1", "--round-deadline", "10m", "--rounds", Integer.toString(rounds),
            "--max-concurrent-uploads", Integer.toString(maxConcurrentUploads)));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("coordinator.log").toFile()).start();
  }

  private static void awaitServing(ManagedChannel channel) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      try {
        FederationGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS).getStatus(io.fedbase.proto.v1.GetStatusRequest.getDefaultInstance());
        return;
      } catch (RuntimeException e) {
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("the coordinator process did not start within 60 s");
  }

  /** The coordinator's RSS after round {@code round}, and its running peak. */
  private static synchronized void sample(Map<Long, Long> rssAfter, long round, long[] peakKib, long pid) {
    rssAfter.put(round, ProcStatus.kib(pid, "VmRSS:"));
    peakKib[0] = Math.max(peakKib[0], ProcStatus.kib(pid, "VmHWM:"));
  }
}
