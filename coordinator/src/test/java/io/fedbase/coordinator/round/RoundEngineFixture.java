package io.fedbase.coordinator.round;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateReceiver;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.meta.Schedule;
import io.fedbase.secagg.SecureStep;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.testing.ManualTime;
import io.fedbase.wire.Assignment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A round engine on its own, without gRPC: real checkpoint store in a temporary directory, nodes
 * played by watchers that record their assignments, uploads fed the way the transport feeds them,
 * and time that moves only when the test advances it (deadlines, leases and keep-alives included).
 */
final class RoundEngineFixture implements AutoCloseable {

  static final SupernetSpec SPEC = SupernetSpec.profile("small");
  static final BundleLayout LAYOUT = BundleLayout.of(SPEC);
  static final MetaOptimizer OPTIMIZER = FiniteDifferenceUpdate.defaults();
  static final int SCHEDULE_ROUNDS = 10;

  /** Between keep-alives; a disconnected selected node keeps its place for four of them. */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(10);

  final Map<String, Assignment> assigned = new ConcurrentHashMap<>();
  final Map<String, Integer> keepAlives = new ConcurrentHashMap<>();
  final ManualTime time = new ManualTime();
  private final Path dir;

  RoundEngineFixture(Path dir) {
    this.dir = dir;
  }

  /** Settings of {@code nodes} nodes that all must upload, 30 s deadline, 2 tasks each. */
  static FederationSettings settings(int nodes) {
    return FederationSettings.builder()
        .setPolicy(new RoundPolicy(nodes, nodes, Duration.ofSeconds(30)))
        .setTasks(new TaskSpec(4, 5, 5))
        .optTau(Schedule.linear(1.0, 0.3))
        .optScheduleRounds(SCHEDULE_ROUNDS)
        .optSeed(11)
        .build();
  }

  RoundCoordinator coordinator(FederationSettings settings, RoundStrategy strategy) {
    return new RoundCoordinator(
        SPEC, settings, strategy, OPTIMIZER, new CheckpointStore(dir, LAYOUT), time.clock(), time.scheduler(), KEEP_ALIVE, RoundEvents.none());
  }

  /** Joins {@code node} and opens its round stream, recording what it is assigned; returns the stream. */
  RoundWatcher joinAndWatch(RoundCoordinator coordinator, String node) {
    coordinator.join(node);
    RoundWatcher watcher =
        new RoundWatcher() {
          @Override
          public void assigned(Assignment assignment) {
            assigned.put(node, assignment);
          }

          @Override
          public void secureStep(SecureStep step) {
            throw new AssertionError("a round aggregated in the clear sent a secure step");
          }

          @Override
          public void keepAlive(long round, RoundPhase phase, long priorVersion) {
            keepAlives.merge(node, 1, Integer::sum);
          }

          @Override
          public void finished() {}

          @Override
          public void shuttingDown() {}

          @Override
          public void removed(String message) {}
        };
    coordinator.watch(node, watcher);
    return watcher;
  }

  /** Uploads {@code delta} for {@code node}'s assignment the way the transport does: header, payload, trailer, completion. */
  static Receipt upload(RoundCoordinator coordinator, String node, Assignment a, float[] delta) throws Exception {
    ByteBuffer payload = ByteBuffer.allocate(delta.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(delta);
    UpdateHeaderFields header =
        new UpdateHeaderFields(a.round(), node, a.priorVersion(), 2, LAYOUT.specHash(), Optional.of(DeltaEncoding.FLOAT32), payload.capacity(), 1, 0.5, 0.75);
    UploadStart.Fresh start = (UploadStart.Fresh) coordinator.beginUpload(header);
    UpdateReceiver receiver = start.receiver();
    receiver.accept(payload.duplicate());
    return coordinator.completeUpload(receiver.finish(Digests.sha256Hex(payload.duplicate())));
  }

  static float[] randomDelta(long seed, float scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[LAYOUT.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextGaussian() * scale);
    }
    return v;
  }

  @Override
  public void close() {
    time.close();
  }
}
