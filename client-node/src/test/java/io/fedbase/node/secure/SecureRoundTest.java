package io.fedbase.node.secure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundOutcome;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.meta.Schedule;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.node.transport.UpdateUpload;
import io.fedbase.secagg.KeyAdvertisement;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Role;
import io.fedbase.security.SigningIdentity;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.testing.Eventually;
import io.fedbase.wire.Assignment;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.prometheus.client.CollectorRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Securely aggregated rounds through the real coordinator and gRPC service (in process), with
 * nodes that speak the protocol through the real client and {@link SecureParticipant} but upload
 * fixed random deltas instead of training: the committed prior is the meta-update of the
 * survivors' mean, dropouts are recovered, too few survivors fail the round cleanly.
 */
class SecureRoundTest {

  private static final SupernetSpec SPEC = SupernetSpec.profile("small");
  private static final BundleLayout LAYOUT = BundleLayout.of(SPEC);
  private static final MetaOptimizer OPTIMIZER = FiniteDifferenceUpdate.defaults();
  private static final float CLIP = 4f;

  @TempDir Path dir;

  // node threads add upload threads while a test ends: both lists are read and written concurrently
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
  private CertificateAuthority ca;

  @AfterEach
  void tearDown() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    for (Thread t : threads) {
      t.join(5_000);
    }
  }

  /** A node that speaks the secure protocol and uploads {@code delta} (or nothing: it drops after sharing). */
  private final class Node {
    final String id;
    final Bundle delta;
    final boolean uploads;
    final CoordinatorClient client;
    final SigningIdentity identity;
    final Map<Long, SecureParticipant> rounds = new ConcurrentHashMap<>();
    /** Rounds whose advertisement the coordinator has acknowledged. */
    final Set<Long> advertised = ConcurrentHashMap.newKeySet();
    final List<ByteBuffer> sentPayloads = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();

    Node(String name, String id, Bundle delta, boolean uploads) throws Exception {
      this.id = id;
      this.delta = delta;
      this.uploads = uploads;
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      channels.add(channel);
      client = new CoordinatorClient(channel);
      IssuedCertificate issued = ca.issue(new Identity(id, Role.NODE), List.of(), List.of(), Duration.ofDays(1));
      identity = new SigningIdentity(issued.key(), issued.certificate(), ca.certificate());
      client.join(id, null);
      Thread t = new Thread(this::watch, "node-" + id);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }

    private void watch() {
      try {
        client.watch(
            id,
            new CoordinatorClient.RoundStreamListener() {
              @Override
              public void assigned(Assignment task) {
                SecureParticipant p = SecureParticipant.join(task.round(), task.participants(), task.secure().orElseThrow(), LAYOUT.totalSize(), identity);
                rounds.put(task.round(), p);
                client.sendSecure(id, task.round(), p.advertisement());
                advertised.add(task.round());
              }

              @Override
              public void secureStep(SecureStep step) {
                SecureParticipant p = rounds.get(step.round());
                try {
                  var answer = p.onStep(step);
                  answer.ifPresent(m -> client.sendSecure(id, step.round(), m));
                  if (step instanceof SecureStep.Shares && uploads) {
                    upload(p);
                  }
                } catch (Exception e) {
                  errors.add(e.toString());
                }
              }
            });
      } catch (StatusRuntimeException e) {
        // the channel closed at the end of the test
      }
    }

    private void upload(SecureParticipant p) throws Exception {
      ByteBuffer payload = p.masked(delta);
      sentPayloads.add(payload.duplicate());
      UpdateUpload upload = new UpdateUpload(p.round(), id, p.round() - 1, 2, delta, 1, 0.5, 0.5, DeltaEncoding.SECURE_RING32, 0);
      // from its own thread: the stream must keep delivering (the unmask request comes on it)
      Thread t = new Thread(() -> {
        try {
          client.submit(upload, payload, Duration.ofSeconds(20));
        } catch (Exception e) {
          errors.add(e.toString());
        }
      });
      t.start();
      threads.add(t);
    }
  }

  private CoordinatorRuntime coordinator(String name, int nodes, int quorum, double threshold, Duration deadline, long rounds) throws Exception {
    ca = CertificateAuthority.init(dir.resolve("ca"), "secure test", Duration.ofDays(30), Clock.systemUTC());
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(nodes, quorum, deadline))
            .setTasks(new TaskSpec(4, 5, 5))
            .optTau(Schedule.linear(1.0, 0.3))
            .optScheduleRounds(10)
            .optSeed(3)
            .optTargetRounds(rounds)
            .build()
            .toBuilder().optSecureAggregation(new SecureAggregationSettings(threshold, CLIP, Duration.ofSeconds(10))).build();
    return CoordinatorRuntime.start(
        SPEC,
        settings,
        OPTIMIZER,
        dir.resolve("state"),
        ParameterInitializer.initialize(SPEC, 5),
        InProcessServerBuilder.forName(name).directExecutor(),
        new CoordinatorMetrics(new CollectorRegistry(true)));
  }

  private static Bundle randomDelta(long seed, float scale) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] v = new float[LAYOUT.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return Bundle.of(LAYOUT, v);
  }

  /** The mean of the deltas as each node clipped them to the round's L2 bound. */
  private static Bundle clippedMean(List<Bundle> deltas) {
    float[] sum = new float[LAYOUT.totalSize()];
    for (Bundle d : deltas) {
      double norm = Math.hypot(d.norm(false), d.norm(true));
      Bundle c = norm > CLIP ? d.scaled((float) (CLIP / norm)) : d;
      float[] v = c.toArray();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += v[i] / deltas.size();
      }
    }
    return Bundle.of(LAYOUT, sum);
  }

  private static RoundOutcome awaitOutcome(CoordinatorRuntime c) throws InterruptedException {
    return Eventually.await("a round's end", Duration.ofSeconds(60), () -> c.coordinator().status(), s -> !s.recentRounds().isEmpty())
        .recentRounds()
        .get(0);
  }

  @Test
  void theCommittedPriorIsTheMetaUpdateOfTheClippedMeanAndDropoutsAreRecovered() throws Exception {
    String name = InProcessServerBuilder.generateName();
    try (CoordinatorRuntime c = coordinator(name, 4, 3, 0.75, Duration.ofSeconds(4), 1)) {
      // d drops after sharing its keys: its pairwise masks must be cancelled from its shares
      List<Bundle> deltas = List.of(randomDelta(1, 0.01f), randomDelta(2, 0.02f), randomDelta(3, 0.05f), randomDelta(4, 0.01f));
      List<Node> nodes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        nodes.add(new Node(name, "node-" + (char) ('a' + i), deltas.get(i), i < 3));
      }
      RoundOutcome outcome = awaitOutcome(c);
      assertTrue(outcome.committed(), outcome.reason() + " / " + nodes.stream().flatMap(n -> n.errors.stream()).toList());
      assertEquals(3, outcome.acceptedUpdates());
      Bundle expected = OPTIMIZER.step(ParameterInitializer.initialize(SPEC, 5), clippedMean(deltas.subList(0, 3)), 0, 10);
      Bundle committed = BundleFiles.read(dir.resolve("state/prior-v00000001.fbb"), LAYOUT).bundle();
      // fixed point with scale (2^31 - 1) / (4 · clip): rounding below 1e-8 per value
      assertArrayEquals(expected.toArray(), committed.toArray(), 1e-6f);
      assertTrue(deltas.get(2).norm(false) > CLIP, "the third delta was clipped, so the test covers clipping");
      // what the coordinator received from a node looks uniform byte by byte; the delta's own bytes do not
      assertTrue(chiSquare(nodes.get(0).sentPayloads.get(0)) < 330.5, "masked: " + chiSquare(nodes.get(0).sentPayloads.get(0)));
      assertTrue(chiSquare(floatBytes(deltas.get(0))) > 10_000, "a control that would fail on an unmasked delta");
    }
  }

  @Test
  void aRoundWithTooFewSurvivorsFailsAndLeavesThePriorUntouched() throws Exception {
    String name = InProcessServerBuilder.generateName();
    try (CoordinatorRuntime c = coordinator(name, 3, 2, 1.0, Duration.ofSeconds(3), 0)) {
      Bundle before = c.coordinator().current().prior();
      new Node(name, "node-a", randomDelta(1, 0.01f), true);
      new Node(name, "node-b", randomDelta(2, 0.01f), true);
      new Node(name, "node-c", randomDelta(3, 0.01f), false);
      RoundOutcome outcome = awaitOutcome(c);
      assertFalse(outcome.committed());
      assertTrue(outcome.reason().contains("needs 3"), outcome.reason());
      assertEquals(0, c.coordinator().current().version());
      assertEquals(before, c.coordinator().current().prior());
      assertEquals(before, BundleFiles.read(dir.resolve("state/prior-v00000000.fbb"), LAYOUT).bundle());
    }
  }

  @Test
  void misplacedMessagesAndPlainUploadsAreRefused() throws Exception {
    String name = InProcessServerBuilder.generateName();
    try (CoordinatorRuntime c = coordinator(name, 2, 2, 1.0, Duration.ofSeconds(30), 0)) {
      Node a = new Node(name, "node-a", randomDelta(1, 0.01f), false);
      Node b = new Node(name, "node-b", randomDelta(2, 0.01f), false);
      // both advertisements are in, so what the test sends next is a repeat
      Eventually.until("both nodes' advertisements acknowledged", Duration.ofSeconds(20), () -> a.advertised.contains(1L) && b.advertised.contains(1L));
      // b's signed keys sent again, and in another round's name: refused, nothing changes
      SecureMessage again = b.rounds.get(1L).advertisement();
      StatusRuntimeException dup = assertThrows(StatusRuntimeException.class, () -> b.client.sendSecure("node-b", 1, again));
      assertEquals(Status.Code.INVALID_ARGUMENT, dup.getStatus().getCode());
      assertTrue(dup.getStatus().getDescription().startsWith("duplicate") || dup.getStatus().getDescription().startsWith("wrong_state"), dup.getStatus().getDescription());
      StatusRuntimeException replay = assertThrows(StatusRuntimeException.class, () -> b.client.sendSecure("node-b", 2, again));
      assertEquals(Status.Code.FAILED_PRECONDITION, replay.getStatus().getCode());
      // a's advertisement sent as b's: the coordinator refuses a message whose advertisement names another node
      KeyAdvertisement aKeys = ((SecureMessage.Advertise) a.rounds.get(1L).advertisement()).advertisement();
      StatusRuntimeException forged =
          assertThrows(StatusRuntimeException.class, () -> b.client.sendSecure("node-b", 1, new SecureMessage.Advertise(aKeys, new byte[0])));
      assertEquals(Status.Code.INVALID_ARGUMENT, forged.getStatus().getCode());
      // a plain float32 upload in a secure round: refused before any byte counts
      UpdateUpload plain = new UpdateUpload(1, "node-a", 0, 2, randomDelta(1, 0.01f), 1, 0.5, 0.5, DeltaEncoding.FLOAT32, 0);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> a.client.submit(plain, Duration.ofSeconds(10)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("securely aggregated"), e.getStatus().getDescription());
      assertEquals(Set.of(), Set.copyOf(a.errors));
    }
  }

  private static ByteBuffer floatBytes(Bundle b) {
    ByteBuffer buf = ByteBuffer.allocate(b.size() * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(b.toArray());
    return buf;
  }

  /** Pearson's chi-square of the byte values against uniform (255 degrees of freedom; 330.5 is the 0.001 tail). */
  private static double chiSquare(ByteBuffer bytes) {
    long[] counts = new long[256];
    ByteBuffer b = bytes.duplicate();
    int n = b.remaining();
    while (b.hasRemaining()) {
      counts[b.get() & 0xff]++;
    }
    double expected = n / 256.0;
    double chi = 0;
    for (long count : counts) {
      chi += (count - expected) * (count - expected) / expected;
    }
    return chi;
  }
}
