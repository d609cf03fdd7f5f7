package io.fedbase.coordinator.secure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
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
  void badSettingsAreRefusedWithTheSettingsName() {
    io.fedbase.meta.InvalidSettingException half =
        assertThrows(io.fedbase.meta.InvalidSettingException.class, () -> new SecureAggregationSettings(0.5, 10f, Duration.ofSeconds(5)));
    assertEquals("secureAggregation.thresholdFraction", half.setting());
    assertTrue(half.getMessage().contains("more than 0.5"), half.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, 0f, Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, Float.POSITIVE_INFINITY, Duration.ofSeconds(5)));
    assertThrows(IllegalArgumentException.class, () -> new SecureAggregationSettings(0.7, 1f, Duration.ZERO));
  }

  private static FederationSettings.Builder settings(int minNodes) {
    return FederationSettings.builder()
        .setPolicy(new RoundPolicy(minNodes, Math.min(2, minNodes), Duration.ofMinutes(1)))
        .setTasks(new TaskSpec(4, 5, 5))
        .optTau(Schedule.linear(1, 0.3))
        .optScheduleRounds(10)
        .optSeed(1);
  }

  @Test
  void aRobustRuleOrSingleNodeRoundsCannotBeSecurelyAggregated() {
    IllegalArgumentException robust =
        assertThrows(IllegalArgumentException.class, () -> settings(3).optAggregation(AggregationMethod.parse("median")).optSecureAggregation(TWO_THIRDS).build());
    assertTrue(robust.getMessage().contains("cannot be combined"), robust.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> settings(3).optSecureAggregation(TWO_THIRDS).optAggregation(AggregationMethod.parse("trimmed-mean:0.1")).build());
    settings(3).optSecureAggregation(TWO_THIRDS).build();
    assertThrows(IllegalArgumentException.class, () -> settings(1).optSecureAggregation(TWO_THIRDS).build());
  }
}
