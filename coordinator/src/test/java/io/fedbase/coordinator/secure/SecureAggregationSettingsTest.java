package io.fedbase.coordinator.secure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Schedule;
import io.fedbase.task.TaskSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SecureAggregationSettingsTest {

  private static final SecureAggregationSettings TWO_THIRDS = new SecureAggregationSettings(2.0 / 3, 10f, Duration.ofSeconds(5));

  @Test
  void theThresholdIsTheFractionRoundedUpAndAlwaysAStrictMajority() {
    assertEquals(2, TWO_THIRDS.thresholdFor(2));
    assertEquals(2, TWO_THIRDS.thresholdFor(3));
    assertEquals(3, TWO_THIRDS.thresholdFor(4));
    assertEquals(7, TWO_THIRDS.thresholdFor(10));
    assertEquals(20, TWO_THIRDS.thresholdFor(30));
    SecureAggregationSettings majority = new SecureAggregationSettings(0.51, 10f, Duration.ofSeconds(5));
    assertEquals(3, majority.thresholdFor(4), "half of 4 is not a strict majority");
    assertEquals(4, new SecureAggregationSettings(1.0, 10f, Duration.ofSeconds(5)).thresholdFor(4));
  }

  @Test
  void badSettingsAreRefusedWithTheFlagName() {
    IllegalArgumentException half = assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.5, 10f, Duration.ofSeconds(5)));
    assertTrue(half.getMessage().contains("--secagg-threshold"), half.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, 0f, Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, Float.POSITIVE_INFINITY, Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, 1f, Duration.ZERO));
  }

  @Test
  void aRobustRuleOrSingleNodeRoundsCannotBeSecurelyAggregated() {
    FederationSettings plain =
        new FederationSettings(new RoundPolicy(3, 2, Duration.ofMinutes(1)), 2, new TaskSpec(4, 5, 5), InnerLoopConfig.defaults(), Schedule.linear(1, 0.3), 10, 0, 1, 0);
    IllegalArgumentException robust =
        assertThrows(IllegalArgumentException.class, () -> plain.withAggregation(AggregationMethod.parse("median")).withSecureAggregation(TWO_THIRDS));
    assertTrue(robust.getMessage().contains("cannot be combined"), robust.getMessage());
    assertThrows(IllegalArgumentException.class, () -> plain.withSecureAggregation(TWO_THIRDS).withAggregation(AggregationMethod.parse("trimmed-mean:0.1")));
    FederationSettings single =
        new FederationSettings(new RoundPolicy(1, 1, Duration.ofMinutes(1)), 2, new TaskSpec(4, 5, 5), InnerLoopConfig.defaults(), Schedule.linear(1, 0.3), 10, 0, 1, 0);
    assertThrows(IllegalArgumentException.class, () -> single.withSecureAggregation(TWO_THIRDS));
  }
}
