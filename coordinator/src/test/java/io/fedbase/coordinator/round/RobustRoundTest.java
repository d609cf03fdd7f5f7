package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateReceiver;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.learn.FiniteDifferenceUpdate;
import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.learn.MetaOptimizer;
import io.fedbase.learn.Schedule;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.ParameterInitializer;
import io.fedbase.task.TaskSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round state machine aggregating with a robust rule: the kept uploads survive the upload's own
 * clean-up, the commit applies their median, and no kept file outlives the round or the coordinator.
 */
class RobustRoundTest {

  private static final SupernetSpec SPEC = SupernetSpec.profile("small");
  private static final BundleLayout LAYOUT = BundleLayout.of(SPEC);
  private static final MetaOptimizer OPTIMIZER = FiniteDifferenceUpdate.defaults();
  private static final int SCHEDULE_ROUNDS = 10;

  @TempDir Path dir;

  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
  private final Map<String, Assignment> assigned = new ConcurrentHashMap<>();

  @AfterEach
  void stopScheduler() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(5, TimeUnit.SECONDS);
  }

  private RoundCoordinator coordinator(AggregationMethod method) {
    FederationSettings settings =
        new FederationSettings(
            new RoundPolicy(3, 3, Duration.ofSeconds(30)), 2, new TaskSpec(4, 5, 5), InnerLoopConfig.defaults(), Schedule.linear(1.0, 0.3), SCHEDULE_ROUNDS, 0, 11, 0)
            .withAggregation(method);
    return new RoundCoordinator(
        SPEC, settings, Strategies.of(settings, LAYOUT), OPTIMIZER, new CheckpointStore(dir, LAYOUT), Clock.systemUTC(), scheduler, Duration.ofSeconds(10), RoundEvents.none());
  }

  private void joinAndWatch(RoundCoordinator coordinator, String node) {
    coordinator.join(node);
    coordinator.watch(
        node,
        new RoundWatcher() {
          @Override
          public void assigned(Assignment assignment) {
            assigned.put(node, assignment);
          }

          @Override
          public void secureStep(io.fedbase.secagg.SecureStep step) {
            throw new AssertionError("a round aggregated in the clear sent a secure step");
          }

          @Override
          public void keepAlive(long round, RoundPhase phase, long priorVersion) {}

          @Override
          public void finished() {}

          @Override
          public void shuttingDown() {}

          @Override
          public void removed(String message) {}
        });
  }

  /** Uploads {@code delta} the way the transport does: header, payload, trailer, completion. */
  private static void upload(RoundCoordinator coordinator, String node, Assignment a, float[] delta) throws Exception {
    ByteBuffer payload = ByteBuffer.allocate(delta.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(delta);
    UpdateHeaderFields header =
        new UpdateHeaderFields(a.round(), node, a.priorVersion(), 2, LAYOUT.specHash(), java.util.Optional.of(io.fedbase.encoding.DeltaEncoding.FLOAT32), payload.capacity(), 1, 0.5, 0.75);
    UploadStart.Fresh start = (UploadStart.Fresh) coordinator.beginUpload(header);
    UpdateReceiver receiver = start.receiver();
    receiver.accept(payload.duplicate());
    coordinator.completeUpload(receiver.finish(Digests.sha256Hex(payload.duplicate())));
  }

  private static float[] randomDelta(long seed, float scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[LAYOUT.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextGaussian() * scale);
    }
    return v;
  }

  private List<Path> staged() throws Exception {
    Path staging = dir.resolve("staging");
    if (!Files.isDirectory(staging)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(staging)) {
      return files.toList();
    }
  }

  @Test
  void aRoundCommitsTheMedianOfItsUploadsAndDeletesThem() throws Exception {
    AggregationMethod median = ((AggregationMethod.Robust) AggregationMethod.parse("median")).withMemoryBytes(64 << 10);
    try (RoundCoordinator coordinator = coordinator(median)) {
      Bundle initial = ParameterInitializer.initialize(SPEC, 5);
      coordinator.start(initial);
      List<String> nodes = List.of("a", "b", "c");
      nodes.forEach(n -> joinAndWatch(coordinator, n));
      assertEquals(3, assigned.size());
      float[][] deltas = {randomDelta(1, 0.01f), randomDelta(2, 0.02f), randomDelta(3, 1000f)};
      for (int i = 0; i < 2; i++) {
        upload(coordinator, nodes.get(i), assigned.get(nodes.get(i)), deltas[i]);
      }
      assertEquals(2, staged().size(), "the accepted uploads are kept until the round commits");
      upload(coordinator, "c", assigned.get("c"), deltas[2]);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (coordinator.current().version() < 1 && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      assertEquals(1, coordinator.current().version());

      float[] median3 = new float[LAYOUT.totalSize()];
      for (int i = 0; i < median3.length; i++) {
        float[] c = {deltas[0][i], deltas[1][i], deltas[2][i]};
        Arrays.sort(c);
        median3[i] = c[1];
      }
      Bundle expected = OPTIMIZER.step(initial, Bundle.of(LAYOUT, median3), 0, SCHEDULE_ROUNDS);
      assertArrayEquals(expected.toArray(), coordinator.current().prior().toArray(), 0f);
      assertEquals(List.of(), staged(), "no kept upload outlives the commit");
    }
  }

  @Test
  void closingDuringARoundDeletesTheKeptUploads() throws Exception {
    try (RoundCoordinator coordinator = coordinator(AggregationMethod.parse("trimmed-mean:0.2"))) {
      coordinator.start(ParameterInitializer.initialize(SPEC, 5));
      List.of("a", "b", "c").forEach(n -> joinAndWatch(coordinator, n));
      upload(coordinator, "a", assigned.get("a"), randomDelta(4, 0.01f));
      assertEquals(1, staged().size());
      coordinator.close();
      assertEquals(List.of(), staged());
      assertTrue(coordinator.current().version() == 0);
    }
  }
}
