package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.LAYOUT;
import static io.fedbase.coordinator.FederationFixture.OPTIMIZER;
import static io.fedbase.coordinator.FederationFixture.SCHEDULE_ROUNDS;
import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static io.fedbase.coordinator.RoundProtocolTest.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.privacy.RdpAccountant;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.StatusResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client-level differential privacy through the real coordinator and service (in process). */
class PrivateRoundTest {

  private static final double SIGMA = 0.8;
  private static final double WEIGHT_CLIP = 1.5;
  private static final double LOGIT_CLIP = 0.05;

  @TempDir Path dir;

  private static PrivacySettings central(double budget) {
    return new PrivacySettings(PrivacySettings.Mode.CENTRAL, SIGMA, WEIGHT_CLIP, LOGIT_CLIP, 1e-5, budget, 1.0);
  }

  private FederationFixture fixture(int nodes, UnaryOperator<FederationSettings> customize) throws Exception {
    return new FederationFixture(dir, nodes, nodes, Duration.ofSeconds(30), 0, null, null, null, NormBound.none(), customize);
  }

  @Test
  void theCoordinatorClipsAddsCalibratedNoiseAndRecordsEpsilonWithThePrior() throws Exception {
    try (FederationFixture f = fixture(3, s -> s.toBuilder().optPrivacy(central(Double.POSITIVE_INFINITY)).build())) {
      List<FederationFixture.Node> nodes = List.of(f.new Node("a"), f.new Node("b"), f.new Node("c"));
      // the third delta exceeds both bounds and is clipped by the coordinator, whatever the node did
      List<Bundle> deltas = List.of(randomDelta(1, 0.002f), randomDelta(2, 0.003f), randomDelta(3, 0.05f));
      for (int i = 0; i < 3; i++) {
        RoundAssignment a = nodes.get(i).nextAssignment();
        assertEquals(WEIGHT_CLIP, a.getPrivacy().getWeightClip());
        assertEquals(0, a.getPrivacy().getNoiseStddev(), "central mode: the nodes add no noise");
        // task counts differ, but a private round weighs every node alike
        nodes.get(i).submit(a, deltas.get(i), 1 + i % 2);
      }
      StatusResponse status = awaitStatus(f, s -> s.getPriorVersion() == 1);

      float[] clippedMean = new float[LAYOUT.totalSize()];
      for (Bundle d : deltas) {
        float[] c = GaussianMechanism.clip(d, WEIGHT_CLIP, LOGIT_CLIP).toArray();
        for (int i = 0; i < c.length; i++) {
          clippedMean[i] += c[i] / 3;
        }
      }
      Bundle expected = OPTIMIZER.step(f.initial, Bundle.of(LAYOUT, clippedMean), 0, SCHEDULE_ROUNDS);
      Bundle committed = BundleFiles.read(dir.resolve("prior-v00000001.fbb"), LAYOUT).bundle();
      // the step is linear: (committed - expected) / step size is the noise the coordinator drew
      float[] stepSizes = OPTIMIZER.step(Bundle.zeros(LAYOUT), Bundle.of(LAYOUT, ones()), 0, SCHEDULE_ROUNDS).toArray();
      float[] c = committed.toArray();
      float[] e = expected.toArray();
      double sum = 0;
      double squares = 0;
      int n = c.length;
      for (int i = 0; i < n; i++) {
        double noise = (c[i] - e[i]) / stepSizes[i];
        sum += noise;
        squares += noise * noise;
      }
      double mean = sum / n;
      double std = Math.sqrt(squares / n - mean * mean);
      double wanted = SIGMA * Math.hypot(WEIGHT_CLIP, LOGIT_CLIP) / 3;
      assertEquals(wanted, std, 0.03 * wanted, "noise std on the mean is sigma * sensitivity / uploads");
      assertEquals(0, mean, 5 * wanted / Math.sqrt(n));

      double epsilon = RdpAccountant.spent(1.0, SIGMA, 1, 1e-5).epsilon();
      CommitManifest manifest = new CheckpointStore(dir, LAYOUT).readManifest(1).orElseThrow();
      assertEquals(epsilon, manifest.privacy().epsilon(), 1e-9);
      assertEquals(1, manifest.privacy().rounds());
      assertEquals("dp-central(mean-unweighted)", manifest.aggregation());
      StoredBundle stored = BundleFiles.read(dir.resolve("prior-v00000001.fbb"), LAYOUT);
      assertEquals(epsilon, Double.parseDouble(stored.metadata().get("dp_epsilon")), 1e-4 * epsilon, "the prior file carries its cost");
      assertEquals(epsilon, status.getPrivacy().getEpsilon(), 1e-9);
      assertEquals("central", status.getPrivacy().getMode());
      assertEquals(1, status.getPrivacy().getRounds());
    }
  }

  @Test
  void roundsStopBeforeTheBudgetIsExceededAndARestartRemembersWhatWasSpent() throws Exception {
    double twoRounds = RdpAccountant.spent(1.0, SIGMA, 2, 1e-5).epsilon();
    double threeRounds = RdpAccountant.spent(1.0, SIGMA, 3, 1e-5).epsilon();
    double budget = (twoRounds + threeRounds) / 2;
    try (FederationFixture f = fixture(1, s -> s.toBuilder().optPrivacy(central(budget)).build())) {
      FederationFixture.Node a = f.new Node("a");
      a.submit(a.nextAssignment(), randomDelta(1, 0.001f), 2);
      a.submit(a.nextAssignment(), randomDelta(2, 0.001f), 2);
      f.coordinator.finished().get(20, TimeUnit.SECONDS);
      StatusResponse s = f.blocking.getStatus(io.fedbase.proto.v1.GetStatusRequest.getDefaultInstance());
      assertEquals(2, s.getPriorVersion(), "no third round: it would exceed the budget");
      assertEquals(twoRounds, s.getPrivacy().getEpsilon(), 1e-9);
      assertTrue(s.getPrivacy().getEpsilon() <= budget);
      assertEquals(budget, s.getPrivacy().getBudgetEpsilon(), 1e-12);
    }
    // the same state directory, a larger budget: the ledger continues where it was
    try (FederationFixture f = fixture(1, s -> s.toBuilder().optPrivacy(central(threeRounds * 1.01)).build())) {
      StatusResponse s = f.blocking.getStatus(io.fedbase.proto.v1.GetStatusRequest.getDefaultInstance());
      assertEquals(2, s.getPrivacy().getRounds());
      assertEquals(twoRounds, s.getPrivacy().getEpsilon(), 1e-9);
      FederationFixture.Node a = f.new Node("a");
      a.submit(a.nextAssignment(), randomDelta(3, 0.001f), 2);
      f.coordinator.finished().get(20, TimeUnit.SECONDS);
      assertEquals(threeRounds, new CheckpointStore(dir, LAYOUT).readManifest(3).orElseThrow().privacy().epsilon(), 1e-9);
    }
  }

  /**
   * Distributed noise: each of the 2 selected nodes adds half the variance. If only one uploads, the
   * sum carried σ/√2 and would cost more than the budget allows: the round fails, nothing released.
   */
  @Test
  void aDistributedRoundMissingNoiseSharesBeyondTheBudgetFailsUnreleased() throws Exception {
    double full = RdpAccountant.spent(1.0, SIGMA, 1, 1e-5).epsilon();
    double half = RdpAccountant.spent(1.0, SIGMA / Math.sqrt(2), 1, 1e-5).epsilon();
    PrivacySettings distributed = new PrivacySettings(PrivacySettings.Mode.DISTRIBUTED, SIGMA, WEIGHT_CLIP, LOGIT_CLIP, 1e-5, (full + half) / 2, 1.0);
    try (FederationFixture f = new FederationFixture(dir, 2, 1, Duration.ofSeconds(2), 0, null, null, null, NormBound.none(), s -> s.toBuilder().optPrivacy(distributed).build())) {
      FederationFixture.Node a = f.new Node("a");
      f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      assertEquals(SIGMA * Math.hypot(WEIGHT_CLIP, LOGIT_CLIP) / Math.sqrt(2), ra.getPrivacy().getNoiseStddev(), 1e-12, "each node's share");
      a.submit(ra, randomDelta(1, 0.001f), 2);
      StatusResponse s = awaitStatus(f, st -> st.getRecentRoundsCount() > 0);
      assertFalse(s.getRecentRounds(0).getCommitted());
      assertTrue(s.getRecentRounds(0).getReason().contains("above the budget"), s.getRecentRounds(0).getReason());
      assertEquals(0, s.getPriorVersion());
      assertFalse(s.hasPrivacy() && s.getPrivacy().getRounds() > 0, "nothing was released, nothing spent");
    }
  }

  @Test
  void settingsWhoseGuaranteeCannotHoldAreRefusedAndWeakOnesWarned() {
    FederationSettings five =
        FederationSettings.builder()
            .setPolicy(new io.fedbase.coordinator.round.RoundPolicy(5, 5, Duration.ofMinutes(1)))
            .setTasks(new io.fedbase.task.TaskSpec(4, 5, 5))
            .optTau(io.fedbase.meta.Schedule.linear(1, 0.3))
            .optScheduleRounds(10)
            .optSeed(1)
            .build();
    IllegalArgumentException delta =
        assertThrows(IllegalArgumentException.class, () -> five.toBuilder().optPrivacy(new PrivacySettings(PrivacySettings.Mode.CENTRAL, 1, 1, 1, 0.3, Double.POSITIVE_INFINITY, 1)).build());
    assertTrue(delta.getMessage().contains("not well below 1 / 5"), delta.getMessage());
    IllegalArgumentException budget = assertThrows(IllegalArgumentException.class, () -> five.toBuilder().optPrivacy(central(0.01)).build());
    assertTrue(budget.getMessage().contains("a single round already costs"), budget.getMessage());
    assertThrows(IllegalArgumentException.class, () -> five.toBuilder().optPrivacy(central(Double.POSITIVE_INFINITY)).optAggregation(AggregationMethod.parse("median")).build());
    List<String> warnings = central(Double.POSITIVE_INFINITY).warnings(200, 5, false);
    assertTrue(warnings.get(0).startsWith("WARNING") && warnings.get(0).contains("means little"), warnings.toString());
    assertTrue(warnings.stream().anyMatch(w -> w.contains("no privacy amplification")), warnings.toString());
    List<String> strong = new PrivacySettings(PrivacySettings.Mode.DISTRIBUTED, 1.1, 1, 1, 1e-5, Double.POSITIVE_INFINITY, 0.01).warnings(100, 1000, true);
    assertFalse(strong.get(0).startsWith("WARNING"), strong.toString());
  }

  private static float[] ones() {
    float[] v = new float[LAYOUT.totalSize()];
    java.util.Arrays.fill(v, 1f);
    return v;
  }
}
