package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.ForwardingAggregator;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.PlainProtocol;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.strategy.PlainStrategy;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.testing.Eventually;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round engine never holds its lock across disk work: joins and status calls are answered
 * while an upload is merged from its staging file and while a commit computes and writes the next
 * prior, and a round whose deadline comes during a merge ends only once that merge is in.
 *
 * <p>The disk work is held at a latch, so each claim is checked at the moment it matters; the
 * timeouts only keep a broken engine from hanging the suite.
 */
class EngineLockTest {

  private static final long SAFETY_SECONDS = 20;

  @TempDir Path dir;

  private RoundEngineFixture engine;
  private final CountDownLatch mergeEntered = new CountDownLatch(1);
  private final CountDownLatch releaseMerge = new CountDownLatch(1);
  private final CountDownLatch aggregateEntered = new CountDownLatch(1);
  private final CountDownLatch releaseAggregate = new CountDownLatch(1);
  private volatile boolean holdMerges;
  private volatile boolean holdAggregate;

  @BeforeEach
  void startEngine() {
    engine = new RoundEngineFixture(dir);
  }

  @AfterEach
  void stopEngine() throws InterruptedException {
    releaseMerge.countDown();
    releaseAggregate.countDown();
    engine.close();
  }

  /** The mean of plain rounds, with merges and the commit's aggregate held at latches when asked. */
  private final class HeldStrategy implements RoundStrategy {
    private final PlainStrategy plain =
        new PlainStrategy(RoundEngineFixture.LAYOUT, AggregationMethod.weightedMean(), NormBound.none(), Set.of(DeltaEncoding.FLOAT32));

    @Override
    public RoundPlan configure(RoundSetup setup) {
      RoundPlan inner = plain.configure(setup);
      RoundAggregator held = new HeldAggregator(inner.aggregator());
      return RoundPlan.of(inner.assignments(), new PlainProtocol(RoundEngineFixture.LAYOUT, Set.of(DeltaEncoding.FLOAT32), setup.participants(), held));
    }

    @Override
    public UploadScales scales(StagedUpdate upload) throws UpdateRejectedException {
      return plain.scales(upload);
    }

    @Override
    public Aggregate aggregate(RoundResult result) throws IOException {
      if (holdAggregate) {
        aggregateEntered.countDown();
        await(releaseAggregate);
      }
      return plain.aggregate(result);
    }
  }

  private final class HeldAggregator extends ForwardingAggregator {
    HeldAggregator(RoundAggregator inner) {
      super(inner);
    }

    @Override
    public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
      if (holdMerges) {
        mergeEntered.countDown();
        await(releaseMerge);
      }
      super.merge(update, weightScale, logitScale);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(SAFETY_SECONDS, TimeUnit.SECONDS), "the test never released the held work");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** {@code call} from another thread; it must answer while the held work is still held. */
  private static <T> T answersNow(Supplier<T> call) throws Exception {
    return CompletableFuture.supplyAsync(call).get(SAFETY_SECONDS, TimeUnit.SECONDS);
  }

  private RoundCoordinator startedWithTwoNodes() throws IOException {
    FederationSettings settings = RoundEngineFixture.settings(2);
    RoundCoordinator coordinator = engine.coordinator(settings, new HeldStrategy());
    coordinator.start(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5));
    engine.joinAndWatch(coordinator, "a");
    engine.joinAndWatch(coordinator, "b");
    assertEquals(2, engine.assigned.size(), "a round opened for both nodes");
    return coordinator;
  }

  private CompletableFuture<Receipt> uploadInBackground(RoundCoordinator coordinator, String node, long seed) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return RoundEngineFixture.upload(coordinator, node, engine.assigned.get(node), RoundEngineFixture.randomDelta(seed, 0.01f));
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private static void awaitVersion(RoundCoordinator coordinator, long version) throws Exception {
    Eventually.until("version " + version, Duration.ofSeconds(SAFETY_SECONDS), () -> coordinator.current().version() >= version);
  }

  @Test
  void joinsAndStatusAreAnsweredWhileAnUploadIsMerged() throws Exception {
    try (RoundCoordinator coordinator = startedWithTwoNodes()) {
      holdMerges = true;
      CompletableFuture<Receipt> a = uploadInBackground(coordinator, "a", 1);
      await(mergeEntered);

      CoordinatorStatus status = answersNow(coordinator::status);
      assertEquals(RoundPhase.COLLECTING, status.phase());
      assertEquals(0L, answersNow(() -> coordinator.join("c")));
      assertFalse(a.isDone(), "the merge is still held");

      releaseMerge.countDown();
      assertEquals(1, a.get(SAFETY_SECONDS, TimeUnit.SECONDS).acceptedInRound());
      holdMerges = false;
      uploadInBackground(coordinator, "b", 2).get(SAFETY_SECONDS, TimeUnit.SECONDS);
      awaitVersion(coordinator, 1);
    }
  }

  @Test
  void statusIsAnsweredWhileTheCommitComputesAndWritesThePrior() throws Exception {
    try (RoundCoordinator coordinator = startedWithTwoNodes()) {
      holdAggregate = true;
      uploadInBackground(coordinator, "a", 1).get(SAFETY_SECONDS, TimeUnit.SECONDS);
      uploadInBackground(coordinator, "b", 2).get(SAFETY_SECONDS, TimeUnit.SECONDS);
      await(aggregateEntered);

      CoordinatorStatus status = answersNow(coordinator::status);
      assertEquals(RoundPhase.COMMITTING, status.phase());
      assertEquals(0, status.priorVersion(), "the prior moves only once the checkpoint is written");
      assertEquals(0L, answersNow(() -> coordinator.join("c")));

      releaseAggregate.countDown();
      awaitVersion(coordinator, 1);
      assertTrue(coordinator.status().recentRounds().get(0).committed());
    }
  }

  @Test
  void aDeadlineDuringAMergeEndsTheRoundOnceTheMergeIsIn() throws Exception {
    try (RoundCoordinator coordinator = startedWithTwoNodes()) {
      holdMerges = true;
      CompletableFuture<Receipt> a = uploadInBackground(coordinator, "a", 1);
      await(mergeEntered);

      coordinator.closeRound(1); // what the deadline timer does
      assertEquals(RoundPhase.COMMITTING, answersNow(coordinator::phase));
      assertTrue(coordinator.status().recentRounds().isEmpty(), "the round waits for the upload it admitted");

      releaseMerge.countDown();
      assertEquals(1, a.get(SAFETY_SECONDS, TimeUnit.SECONDS).acceptedInRound(), "an upload admitted before the deadline counts");
      RoundOutcome outcome =
          Eventually.await("the round's end", Duration.ofSeconds(SAFETY_SECONDS), coordinator::status, s -> !s.recentRounds().isEmpty()).recentRounds().get(0);
      assertFalse(outcome.committed());
      assertEquals(1, outcome.acceptedUpdates());
      assertTrue(outcome.reason().startsWith("quorum not reached: 1 of 2"), outcome.reason());
    }
  }
}
