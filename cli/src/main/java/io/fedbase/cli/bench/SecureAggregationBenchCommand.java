package io.fedbase.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundOutcome;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.Schedule;
import io.fedbase.node.secure.SecureParticipant;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.node.transport.UpdateUpload;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Role;
import io.fedbase.security.SigningIdentity;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.SecureAggregationWire;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.prometheus.client.CollectorRegistry;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench secagg}: what secure aggregation costs. For each node count, the same rounds run
 * twice against a coordinator on loopback — plain float32 uploads, then securely aggregated ones —
 * with simulated nodes (no training: a fixed random delta each). Reports bytes each node sends per
 * round (payload plus, for secure rounds, the key-exchange messages) and round time, as ratios.
 * All nodes share this machine's cores, so a secure round's time includes every node's masking
 * one after another; node-side masking time is reported apart.
 */
@Command(
    name = "secagg",
    mixinStandardHelpOptions = true,
    description = {
      "Secure aggregation's cost: bytes per node and round time against plain rounds.",
      "Runs plain and secure rounds side by side for several node counts."
    })
public final class SecureAggregationBenchCommand implements Callable<Integer> {

  @Option(names = "--nodes", split = ",", defaultValue = "3,10,30", description = "Node counts (default: ${DEFAULT-VALUE}).")
  int[] nodeCounts;

  @Option(names = "--rounds", defaultValue = "3", description = "Rounds per configuration (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--threshold", defaultValue = "0.67", description = "Secure-aggregation threshold fraction (default: ${DEFAULT-VALUE}).")
  double threshold;

  @Mixin SupernetOptions supernet;

  /** One configuration's measurements. */
  private record Result(int nodes, boolean secure, double roundMsMedian, double bytesPerNodeRound, double maskMsMean) {}

  private SupernetSpec spec;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    spec = supernet.spec();
    BundleLayout layout = BundleLayout.of(spec);
    Bundle delta = randomDelta(layout);
    JsonArray rows = new JsonArray();
    StringBuilder table =
        new StringBuilder("| nodes | plain round ms | secure round ms | time × | plain bytes/node | secure bytes/node | bytes × | masking ms/node |\n|---|---|---|---|---|---|---|---|\n");
    for (int n : nodeCounts) {
      Result plain = run(n, false, delta);
      Result secure = run(n, true, delta);
      JsonObject row = new JsonObject();
      row.addProperty("nodes", n);
      row.addProperty("plain_round_ms_median", plain.roundMsMedian());
      row.addProperty("secure_round_ms_median", secure.roundMsMedian());
      row.addProperty("time_ratio", secure.roundMsMedian() / plain.roundMsMedian());
      row.addProperty("plain_bytes_per_node_round", plain.bytesPerNodeRound());
      row.addProperty("secure_bytes_per_node_round", secure.bytesPerNodeRound());
      row.addProperty("bytes_ratio", secure.bytesPerNodeRound() / plain.bytesPerNodeRound());
      row.addProperty("masking_ms_per_node", secure.maskMsMean());
      rows.add(row);
      table.append(
          String.format(
              Locale.ROOT,
              "| %d | %.0f | %.0f | %.2f | %,.0f | %,.0f | %.3f | %.0f |%n",
              n,
              plain.roundMsMedian(),
              secure.roundMsMedian(),
              secure.roundMsMedian() / plain.roundMsMedian(),
              plain.bytesPerNodeRound(),
              secure.bytesPerNodeRound(),
              secure.bytesPerNodeRound() / plain.bytesPerNodeRound(),
              secure.maskMsMean()));
    }
    System.out.print(table);
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "secagg");
    json.addProperty("spec", spec.toString());
    json.addProperty("values", layout.totalSize());
    json.addProperty("rounds", rounds);
    json.add("results", rows);
    report.finish(json, null, null);
    return 0;
  }

  private Result run(int n, boolean secure, Bundle delta) throws Exception {
    Path state = Files.createTempDirectory("fedbase-bench-secagg");
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(n, n, Duration.ofMinutes(10)))
            .optTasksPerNode(1)
            .setTasks(new TaskSpec(2, 1, 1))
            .optTau(Schedule.linear(1, 0.3))
            .optScheduleRounds(rounds)
            .optSeed(1)
            .optTargetRounds(rounds)
            .build();
    if (secure) {
      settings = settings.toBuilder().optSecureAggregation(new SecureAggregationSettings(threshold, 10f, Duration.ofMinutes(2))).build();
    }
    CertificateAuthority ca = CertificateAuthority.init(state.resolve("ca"), "bench", Duration.ofDays(1), Clock.systemUTC());
    AtomicLong bytes = new AtomicLong();
    AtomicLong maskNanos = new AtomicLong();
    AtomicLong masks = new AtomicLong();
    ExecutorService work = Executors.newFixedThreadPool(2);
    List<ManagedChannel> channels = new ArrayList<>();
    try (CoordinatorRuntime c =
        CoordinatorRuntime.start(
            spec,
            settings,
            FiniteDifferenceUpdate.defaults(),
            state.resolve("state"),
            ParameterInitializer.initialize(spec, 1),
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
            new CoordinatorMetrics(new CollectorRegistry(true)))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", c.port()).usePlaintext().build();
      channels.add(channel);
      CoordinatorClient client = new CoordinatorClient(channel);
      for (int i = 0; i < n; i++) {
        String id = String.format(Locale.ROOT, "sim-%03d", i);
        IssuedCertificate issued = ca.issue(new Identity(id, Role.NODE), List.of(), List.of(), Duration.ofDays(1));
        SigningIdentity identity = new SigningIdentity(issued.key(), issued.certificate(), ca.certificate());
        client.join(id, null);
        Thread t = new Thread(() -> simulate(client, id, identity, delta, work, bytes, maskNanos, masks), "sim-" + id);
        t.setDaemon(true);
        t.start();
      }
      c.coordinator().finished().get(30, TimeUnit.MINUTES);
      List<RoundOutcome> outcomes = c.coordinator().status().recentRounds();
      if (outcomes.size() < rounds || !outcomes.stream().allMatch(RoundOutcome::committed)) {
        throw new IllegalStateException("not every round committed: " + outcomes);
      }
      double[] ms = outcomes.stream().mapToDouble(o -> o.seconds() * 1000).toArray();
      return new Result(n, secure, BenchStats.median(ms), (double) bytes.get() / (n * (double) rounds), masks.get() == 0 ? 0 : maskNanos.get() / 1e6 / masks.get());
    } finally {
      work.shutdownNow();
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** One simulated node: answers every step and uploads its fixed delta as soon as it may. */
  private static void simulate(
      CoordinatorClient client, String id, SigningIdentity identity, Bundle delta, ExecutorService work, AtomicLong bytes, AtomicLong maskNanos, AtomicLong masks) {
    Map<Long, SecureParticipant> rounds = new ConcurrentHashMap<>();
    try {
      client.watch(
          id,
          new CoordinatorClient.RoundStreamListener() {
            @Override
            public void assigned(Assignment task) {
              if (task.secure().isEmpty()) {
                work.execute(() -> upload(task.round(), task.priorVersion(), DeltaEncoding.FLOAT32, null));
                return;
              }
              SecureParticipant p = SecureParticipant.join(task.round(), task.participants(), task.secure().get(), delta.size(), identity);
              rounds.put(task.round(), p);
              send(p.round(), p.advertisement());
            }

            @Override
            public void secureStep(SecureStep step) {
              SecureParticipant p = rounds.get(step.round());
              try {
                p.onStep(step).ifPresent(m -> send(step.round(), m));
                if (step instanceof SecureStep.Shares) {
                  work.execute(() -> upload(step.round(), step.round() - 1, DeltaEncoding.SECURE_RING32, p));
                }
              } catch (Exception e) {
                System.err.println(id + ": " + e);
              }
            }

            private void send(long round, SecureMessage m) {
              bytes.addAndGet(SecureAggregationWire.toWire(id, round, m).getSerializedSize());
              client.sendSecure(id, round, m);
            }

            private void upload(long round, long priorVersion, DeltaEncoding encoding, SecureParticipant p) {
              try {
                ByteBuffer payload;
                if (p == null) {
                  payload = io.fedbase.encoding.DeltaEncoder.encode(delta, encoding, round);
                } else {
                  long t0 = System.nanoTime();
                  payload = p.masked(delta);
                  maskNanos.addAndGet(System.nanoTime() - t0);
                  masks.incrementAndGet();
                }
                bytes.addAndGet(payload.remaining());
                client.submit(new UpdateUpload(round, id, priorVersion, 1, delta, 0, 0, 0, encoding, round), payload, Duration.ofMinutes(5));
              } catch (Exception e) {
                System.err.println(id + ": upload failed: " + e);
              }
            }
          });
    } catch (StatusRuntimeException e) {
      // the federation ended
    }
  }

  private static Bundle randomDelta(BundleLayout layout) {
    SplittableRandom random = new SplittableRandom(7);
    float[] v = new float[layout.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * 1e-3);
    }
    return Bundle.of(layout, v);
  }
}
