package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.space.SupernetSpec;
import io.fedbase.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round state machine aggregating with a robust rule: the kept uploads survive the upload's own
 * clean-up, the commit applies their median, and no kept file outlives the round or the coordinator.
 */
class RobustRoundTest {

  private static final BundleLayout LAYOUT = RoundEngineFixture.LAYOUT;
  private static final SupernetSpec SPEC = RoundEngineFixture.SPEC;

  @TempDir Path dir;

  private RoundEngineFixture engine;

  @BeforeEach
  void startEngine() {
    engine = new RoundEngineFixture(dir);
  }

  @AfterEach
  void stopEngine() throws InterruptedException {
    engine.close();
  }

  private RoundCoordinator coordinator(AggregationMethod method) {
    // the robust rule itself must absorb the outlier here, so the guard that would refuse it is off
    FederationSettings settings = RoundEngineFixture.settings(3).toBuilder().optAggregation(method).optOutlierRatio(Double.POSITIVE_INFINITY).build();
    return engine.coordinator(settings, Strategies.of(settings, LAYOUT));
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
      nodes.forEach(n -> engine.joinAndWatch(coordinator, n));
      assertEquals(3, engine.assigned.size());
      float[][] deltas = {RoundEngineFixture.randomDelta(1, 0.01f), RoundEngineFixture.randomDelta(2, 0.02f), RoundEngineFixture.randomDelta(3, 1000f)};
      for (int i = 0; i < 2; i++) {
        RoundEngineFixture.upload(coordinator, nodes.get(i), engine.assigned.get(nodes.get(i)), deltas[i]);
      }
      assertEquals(2, staged().size(), "the accepted uploads are kept until the round commits");
      RoundEngineFixture.upload(coordinator, "c", engine.assigned.get("c"), deltas[2]);
      Eventually.until("version 1", Duration.ofSeconds(20), () -> coordinator.current().version() >= 1);
      assertEquals(1, coordinator.current().version());

      float[] median3 = new float[LAYOUT.totalSize()];
      for (int i = 0; i < median3.length; i++) {
        float[] c = {deltas[0][i], deltas[1][i], deltas[2][i]};
        Arrays.sort(c);
        median3[i] = c[1];
      }
      Bundle expected = RoundEngineFixture.OPTIMIZER.step(initial, Bundle.of(LAYOUT, median3), 0, RoundEngineFixture.SCHEDULE_ROUNDS);
      assertArrayEquals(expected.toArray(), coordinator.current().prior().toArray(), 0f);
      assertEquals(List.of(), staged(), "no kept upload outlives the commit");
    }
  }

  @Test
  void closingDuringARoundDeletesTheKeptUploads() throws Exception {
    try (RoundCoordinator coordinator = coordinator(AggregationMethod.parse("trimmed-mean:0.2"))) {
      coordinator.start(ParameterInitializer.initialize(SPEC, 5));
      List.of("a", "b", "c").forEach(n -> engine.joinAndWatch(coordinator, n));
      RoundEngineFixture.upload(coordinator, "a", engine.assigned.get("a"), RoundEngineFixture.randomDelta(4, 0.01f));
      assertEquals(1, staged().size());
      coordinator.close();
      assertEquals(List.of(), staged());
      assertTrue(coordinator.current().version() == 0);
    }
  }
}
