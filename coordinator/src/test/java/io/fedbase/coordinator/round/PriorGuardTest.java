package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.testing.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the default settings, updates that stay finite but would wreck the prior do not reach it:
 * two nodes uploading 3e38 everywhere, or one node scaling its delta by 1,000. The outlier guard
 * refuses such uploads and the round commits with the honest ones; with it turned off, the guard
 * on the prior's change still refuses the round.
 */
class PriorGuardTest {

  private static final Bundle INITIAL = ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5);

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

  /** Two nodes, and a round that commits with {@code quorum} uploads. */
  private static FederationSettings settings(int quorum, double outlierRatio) {
    return RoundEngineFixture.settings(2).toBuilder().setPolicy(new RoundPolicy(2, quorum, Duration.ofSeconds(30))).optOutlierRatio(outlierRatio).build();
  }

  /** What one round of nodes a and b came to. */
  private record Round(RoundOutcome outcome, Bundle priorAfter, List<String> refused) {}

  /** Runs the next round of nodes a and b uploading {@code a} and {@code b}. */
  private Round round(FederationSettings settings, float[] a, float[] b) throws Exception {
    try (RoundCoordinator coordinator = engine.coordinator(settings, Strategies.of(settings, RoundEngineFixture.LAYOUT))) {
      coordinator.start(INITIAL);
      int before = coordinator.status().recentRounds().size();
      engine.joinAndWatch(coordinator, "a");
      engine.joinAndWatch(coordinator, "b");
      List<String> refused = new java.util.ArrayList<>();
      for (String node : List.of("a", "b")) {
        try {
          RoundEngineFixture.upload(coordinator, node, engine.assigned.get(node), node.equals("a") ? a : b);
        } catch (UpdateRejectedException e) {
          assertEquals(UpdateRejectedException.Reason.NORM_TOO_LARGE, e.reason(), e.getMessage());
          refused.add(node);
        }
      }
      engine.time.advance(Duration.ofSeconds(31));
      RoundOutcome outcome =
          Eventually.await("the round's end", Duration.ofSeconds(20), coordinator::status, s -> s.recentRounds().size() > before).recentRounds().get(0);
      return new Round(outcome, coordinator.current().prior(), refused);
    }
  }

  private static float[] filled(float value) {
    float[] v = new float[RoundEngineFixture.LAYOUT.totalSize()];
    Arrays.fill(v, value);
    return v;
  }

  private static float[] scaled(float[] v, float factor) {
    float[] s = v.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] *= factor;
    }
    return s;
  }

  @Test
  void deltasOf3e38EverywhereAreRefusedAsOutliers() throws Exception {
    Round r = round(settings(2, 10), filled(3e38f), filled(3e38f));
    assertEquals(List.of("a", "b"), r.refused());
    assertFalse(r.outcome().committed());
    assertEquals(INITIAL, r.priorAfter(), "the prior is untouched");
  }

  @Test
  void aDeltaScaledByAThousandIsRefusedAndTheHonestOneCommits() throws Exception {
    float[] honest = RoundEngineFixture.randomDelta(1, 0.01f);
    // first round, no history yet: the yardstick is the prior's own norm
    Round first = round(settings(1, 10), honest, scaled(RoundEngineFixture.randomDelta(2, 0.01f), 1000));
    assertEquals(List.of("b"), first.refused());
    assertTrue(first.outcome().committed(), first.outcome().reason());
    CommitManifest manifest = new CheckpointStore(dir, RoundEngineFixture.LAYOUT).readManifest(1).orElseThrow();
    assertEquals(List.of("a"), manifest.uploads().stream().map(CommitManifest.Upload::node).toList(), "only the honest upload is merged");

    // later rounds: measured against what honest nodes sent, so x20 is refused too, x2 is not
    Round second = round(settings(1, 10), RoundEngineFixture.randomDelta(3, 0.02f), scaled(RoundEngineFixture.randomDelta(4, 0.01f), 20));
    assertEquals(List.of("b"), second.refused());
    assertTrue(second.outcome().committed(), second.outcome().reason());
    assertNotEquals(first.priorAfter(), second.priorAfter());
  }

  @Test
  void withTheOutlierGuardOffTheGuardOnThePriorsChangeStillRefusesTheRound() throws Exception {
    FederationSettings off = settings(2, Double.POSITIVE_INFINITY);
    Round flood = round(off, filled(3e38f), filled(3e38f));
    assertEquals(List.of(), flood.refused());
    assertFalse(flood.outcome().committed());
    assertTrue(flood.outcome().reason().contains("times its norm"), flood.outcome().reason());
    assertEquals(INITIAL, flood.priorAfter());

    Round scaledUp = round(off, RoundEngineFixture.randomDelta(1, 0.01f), scaled(RoundEngineFixture.randomDelta(2, 0.01f), 1000));
    assertFalse(scaledUp.outcome().committed(), "x1,000 is refused: " + scaledUp.outcome().reason());
    assertEquals(INITIAL, scaledUp.priorAfter());

    Round fair = round(off, RoundEngineFixture.randomDelta(1, 0.01f), RoundEngineFixture.randomDelta(2, 0.01f));
    assertTrue(fair.outcome().committed(), fair.outcome().reason());
  }

  @Test
  void theOutlierRatioMustExceedOne() {
    assertThrows(RuntimeException.class, () -> settings(1, 1.0));
  }
}
