package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.testing.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round's timers on a clock the test moves: the deadline closes a round exactly when it
 * passes, a disconnected participant keeps its place for four keep-alive intervals and not one
 * moment longer, and keep-alives go out once per interval. Nothing here waits for wall time.
 */
class RoundTimersTest {

  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private static final Duration ASYNC_SAFETY = Duration.ofSeconds(20);

  @TempDir Path dir;

  private RoundEngineFixture engine;

  @BeforeEach
  void startEngine() {
    engine = new RoundEngineFixture(dir);
  }

  @AfterEach
  void stopEngine() {
    engine.close();
  }

  /** Two nodes open a round; one upload is enough to commit. */
  private RoundCoordinator quorumOfOneOfTwo() throws Exception {
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(2, 1, DEADLINE))
            .setTasks(RoundEngineFixture.settings(2).tasks())
            .optInner(RoundEngineFixture.settings(2).inner())
            .optTau(RoundEngineFixture.settings(2).tau())
            .optScheduleRounds(RoundEngineFixture.SCHEDULE_ROUNDS)
            .optSeed(11)
            .build();
    RoundCoordinator coordinator = engine.coordinator(settings, Strategies.of(settings, RoundEngineFixture.LAYOUT));
    coordinator.start(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5));
    return coordinator;
  }

  private static RoundOutcome awaitOutcome(RoundCoordinator coordinator) throws InterruptedException {
    return Eventually.await("the round's end", ASYNC_SAFETY, coordinator::status, s -> !s.recentRounds().isEmpty()).recentRounds().get(0);
  }

  @Test
  void theDeadlineClosesTheRoundWhenItPassesAndNotBefore() throws Exception {
    try (RoundCoordinator coordinator = quorumOfOneOfTwo()) {
      engine.joinAndWatch(coordinator, "a");
      engine.joinAndWatch(coordinator, "b");
      RoundEngineFixture.upload(coordinator, "a", engine.assigned.get("a"), RoundEngineFixture.randomDelta(1, 0.01f));

      engine.time.advance(DEADLINE.minusMillis(1));
      engine.time.settle();
      assertEquals(RoundPhase.COLLECTING, coordinator.phase(), "the round waits for b until its deadline");

      engine.time.advance(Duration.ofMillis(1));
      RoundOutcome outcome = awaitOutcome(coordinator);
      assertTrue(outcome.committed(), outcome.reason());
      assertEquals(1, outcome.acceptedUpdates());
      assertEquals(DEADLINE.toMillis() / 1000.0, outcome.seconds(), 1e-9, "on the round's clock it lasted exactly its deadline");
    }
  }

  @Test
  void aDisconnectedParticipantKeepsItsPlaceForFourKeepAlivesThenTheRoundGoesOn() throws Exception {
    try (RoundCoordinator coordinator = quorumOfOneOfTwo()) {
      engine.joinAndWatch(coordinator, "a");
      RoundWatcher b = engine.joinAndWatch(coordinator, "b");
      RoundEngineFixture.upload(coordinator, "a", engine.assigned.get("a"), RoundEngineFixture.randomDelta(1, 0.01f));
      coordinator.unwatch("b", b);

      Duration lease = RoundEngineFixture.KEEP_ALIVE.multipliedBy(4);
      engine.time.advance(lease.minusMillis(1));
      engine.time.settle();
      assertEquals(RoundPhase.COLLECTING, coordinator.phase(), "b may still come back");

      engine.time.advance(Duration.ofMillis(1));
      RoundOutcome outcome = awaitOutcome(coordinator);
      assertTrue(outcome.committed(), "the round closed without waiting for its deadline: " + outcome.reason());
      assertEquals(lease.toMillis() / 1000.0, outcome.seconds(), 1e-9);
    }
  }

  @Test
  void aParticipantThatReconnectsWithinItsLeaseIsWaitedFor() throws Exception {
    try (RoundCoordinator coordinator = quorumOfOneOfTwo()) {
      engine.joinAndWatch(coordinator, "a");
      RoundWatcher b = engine.joinAndWatch(coordinator, "b");
      RoundEngineFixture.upload(coordinator, "a", engine.assigned.get("a"), RoundEngineFixture.randomDelta(1, 0.01f));
      coordinator.unwatch("b", b);
      engine.time.advance(Duration.ofSeconds(20));
      engine.assigned.remove("b");
      engine.joinAndWatch(coordinator, "b");
      assertTrue(engine.assigned.containsKey("b"), "a reconnecting participant gets its assignment again");

      engine.time.advance(Duration.ofSeconds(20));
      engine.time.settle();
      assertEquals(RoundPhase.COLLECTING, coordinator.phase(), "its lease no longer runs once it is back");
      RoundEngineFixture.upload(coordinator, "b", engine.assigned.get("b"), RoundEngineFixture.randomDelta(2, 0.01f));
      RoundOutcome outcome = awaitOutcome(coordinator);
      assertEquals(2, outcome.acceptedUpdates());
    }
  }

  @Test
  void keepAlivesGoOutOncePerInterval() throws Exception {
    FederationSettings settings = RoundEngineFixture.settings(3);
    try (RoundCoordinator coordinator = engine.coordinator(settings, Strategies.of(settings, RoundEngineFixture.LAYOUT))) {
      coordinator.start(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5));
      engine.joinAndWatch(coordinator, "a");
      int atWatch = engine.keepAlives.getOrDefault("a", 0);
      engine.time.advance(RoundEngineFixture.KEEP_ALIVE.multipliedBy(3));
      engine.time.settle();
      assertEquals(atWatch + 3, engine.keepAlives.get("a"), "one per interval while waiting for nodes");
      assertFalse(engine.assigned.containsKey("a"), "no round opens below --min-nodes");
    }
  }
}
