package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.testing.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the default settings, updates that stay finite but would wreck the prior are not committed:
 * two nodes uploading 3e38 everywhere, or one node scaling its delta by 1,000. Honest rounds commit.
 */
class PriorGuardTest {

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

  /** Runs one round of two nodes uploading {@code a} and {@code b}; its outcome. */
  private RoundOutcome round(float[] a, float[] b, Bundle[] priorAfter) throws Exception {
    FederationSettings settings = RoundEngineFixture.settings(2);
    try (RoundCoordinator coordinator = engine.coordinator(settings, Strategies.of(settings, RoundEngineFixture.LAYOUT))) {
      coordinator.start(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5));
      engine.joinAndWatch(coordinator, "a");
      engine.joinAndWatch(coordinator, "b");
      RoundEngineFixture.upload(coordinator, "a", engine.assigned.get("a"), a);
      RoundEngineFixture.upload(coordinator, "b", engine.assigned.get("b"), b);
      RoundOutcome outcome =
          Eventually.await("the round's end", Duration.ofSeconds(20), coordinator::status, s -> !s.recentRounds().isEmpty()).recentRounds().get(0);
      priorAfter[0] = coordinator.current().prior();
      return outcome;
    }
  }

  @Test
  void deltasOf3e38EverywhereAreNotCommitted() throws Exception {
    float[] attack = new float[RoundEngineFixture.LAYOUT.totalSize()];
    Arrays.fill(attack, 3e38f);
    Bundle[] after = new Bundle[1];
    RoundOutcome outcome = round(attack, attack.clone(), after);
    assertFalse(outcome.committed());
    assertTrue(outcome.reason().contains("times its norm"), outcome.reason());
    assertEquals(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5), after[0], "the prior is untouched");
  }

  @Test
  void aDeltaScaledByAThousandIsNotCommittedButHonestOnesAre() throws Exception {
    float[] honest = RoundEngineFixture.randomDelta(1, 0.01f);
    float[] scaled = RoundEngineFixture.randomDelta(2, 0.01f);
    for (int i = 0; i < scaled.length; i++) {
      scaled[i] *= 1000;
    }
    Bundle[] after = new Bundle[1];
    RoundOutcome attacked = round(honest, scaled, after);
    assertFalse(attacked.committed(), "x1,000 is refused: " + attacked.reason());
    assertEquals(ParameterInitializer.initialize(RoundEngineFixture.SPEC, 5), after[0]);

    RoundOutcome fair = round(honest, RoundEngineFixture.randomDelta(2, 0.01f), after);
    assertTrue(fair.committed(), fair.reason());
  }
}
