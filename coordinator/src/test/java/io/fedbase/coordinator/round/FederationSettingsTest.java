package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.InvalidSettingException;
import io.fedbase.task.TaskSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Settings are built with defaults in the builder and checked in build(), each refusal naming its setting. */
class FederationSettingsTest {

  private static FederationSettings.Builder minimal() {
    return FederationSettings.builder().setPolicy(new RoundPolicy(2, 2, Duration.ofMinutes(1))).setTasks(new TaskSpec(4, 5, 5));
  }

  private static String refusedSetting(FederationSettings.Builder b) {
    return assertThrows(InvalidSettingException.class, b::build).setting();
  }

  @Test
  void theBuilderHoldsTheDefaultsAndToBuilderRoundTrips() {
    FederationSettings s = minimal().build();
    assertEquals(2, s.tasksPerNode());
    assertEquals(InnerLoopConfig.defaults(), s.inner());
    assertEquals(AggregationMethod.weightedMean(), s.aggregation());
    assertEquals(200, s.scheduleRounds());
    FederationSettings changed = s.toBuilder().optTasksPerNode(3).optSeed(9).build();
    assertEquals(changed, changed.toBuilder().build());
    assertEquals(3, changed.tasksPerNode());
  }

  @Test
  void eachRefusalNamesItsSetting() {
    assertEquals("policy", refusedSetting(FederationSettings.builder().setTasks(new TaskSpec(4, 5, 5))));
    assertEquals("tasksPerNode", refusedSetting(minimal().optTasksPerNode(0)));
    assertEquals("targetRounds", refusedSetting(minimal().optTargetRounds(-1)));
    assertEquals("scheduleRounds", refusedSetting(minimal().optScheduleRounds(0)));
    assertEquals("acceptedEncodings", refusedSetting(minimal().optAcceptedEncodings(java.util.Set.of())));
    SecureAggregationSettings secure = new SecureAggregationSettings(2.0 / 3, 4f, Duration.ofSeconds(10));
    assertEquals("aggregation", refusedSetting(minimal().optAggregation(AggregationMethod.parse("median")).optSecureAggregation(secure)));
    assertEquals(
        "policy.minNodes", refusedSetting(minimal().setPolicy(new RoundPolicy(1, 1, Duration.ofMinutes(1))).optSecureAggregation(secure)));
    assertEquals("inner.steps", assertThrows(InvalidSettingException.class, () -> InnerLoopConfig.builder().optSteps(-1).build()).setting());
  }
}
