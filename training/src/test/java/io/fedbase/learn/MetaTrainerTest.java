package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Schedule;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.Task;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outer loop on real Fashion-MNIST tasks. */
class MetaTrainerTest {

  private final SupernetSpec spec = SupernetSpec.profile("small");
  private final Supernet supernet = new Supernet(spec);

  @Test
  void aShortMetaTrainingRunLowersTheAdaptedSupportLoss() {
    ImageDataset data = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist")).select(ClassSelection.parse("0-5"));
    TaskSpec tasks = new TaskSpec(4, 5, 5);
    TaskSampler sampler = new TaskSampler(data, tasks, 7);
    int rounds = 40;
    MetaTrainingConfig config =
        new MetaTrainingConfig(rounds, 2, tasks, InnerLoopConfig.defaults(), Schedule.linear(1.0, 0.3), 0, 7);
    Bundle initial = ParameterInitializer.initialize(spec, 7);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, config.inner(), root);
      List<RoundRecord> records = new ArrayList<>();
      Bundle trained =
          new MetaTrainer(loop, sampler, FiniteDifferenceUpdate.defaults(), AggregationRule.weightedMean(), config)
              .run(initial, 0, (r, w) -> records.add(r));
      assertEquals(rounds, records.size());
      assertEquals(1, records.get(0).round());
      assertEquals(1.0, records.get(0).tau(), 1e-6);
      assertEquals(0.3, records.get(rounds - 1).tau(), 1e-6);
      assertTrue(trained.allFinite());
      // Paired check on tasks never used in training: K steps from the trained prior reach a lower
      // support loss than K steps from the initial supernet.
      double before = 0;
      double after = 0;
      int probes = 16;
      for (int i = 0; i < probes; i++) {
        Task t = sampler.task(1_000_000 + i);
        long seed = TaskBatch.adaptationSeed(99, i);
        before += loop.adapt(initial, t, 0.3f, seed).lastLoss();
        after += loop.adapt(trained, t, 0.3f, seed).lastLoss();
      }
      assertTrue(after < 0.9 * before, "adapted support loss " + before / probes + " -> " + after / probes);
    }
  }

  @Test
  void finiteDifferenceStepScalesWeightsAndLogitsSeparately() {
    Bundle w = ParameterInitializer.initialize(spec, 1);
    Bundle phi = ParameterInitializer.initialize(spec, 2);
    Bundle delta = phi.minus(w);
    FiniteDifferenceUpdate fd = new FiniteDifferenceUpdate(Schedule.constant(1.0), Schedule.constant(0.0));
    Bundle next = fd.step(w, delta, 0, 10);
    assertEquals(0.0, next.minus(phi).norm(false), 1e-5);
    assertEquals(w.minus(w).norm(true), next.minus(w).norm(true), 1e-9);
    FiniteDifferenceUpdate defaults = FiniteDifferenceUpdate.defaults();
    assertArrayEquals(new double[] {1.0, 0.6}, defaults.stepSizes(0, 11), 1e-12);
    assertArrayEquals(new double[] {0.1, 0.6}, defaults.stepSizes(10, 11), 1e-12);
    assertArrayEquals(new double[] {0.55, 0.6}, defaults.stepSizes(5, 11), 1e-12);
  }

  @Test
  void aDivergedAdaptationStopsTrainingBeforeTheMetaUpdate() {
    ImageDataset data = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist")).select(ClassSelection.parse("0-3"));
    TaskSpec tasks = new TaskSpec(4, 2, 2);
    InnerLoopConfig explosive = InnerLoopConfig.builder().optSteps(3).optLearningRates(1e38f, 1e38f).build();
    MetaTrainingConfig config = new MetaTrainingConfig(3, 1, tasks, explosive, Schedule.constant(1.0), 0, 3);
    List<RoundRecord> records = new ArrayList<>();
    try (NDManager root = NDManager.newBaseManager()) {
      MetaTrainer trainer =
          new MetaTrainer(
              new InnerLoop(supernet, explosive, root),
              new TaskSampler(data, tasks, 3),
              FiniteDifferenceUpdate.defaults(),
              AggregationRule.weightedMean(),
              config);
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> trainer.run(ParameterInitializer.initialize(spec, 3), 0, (r, w) -> records.add(r)));
      assertTrue(e.getMessage().startsWith("round 1, task 0: adaptation diverged"), e.getMessage());
      assertTrue(records.isEmpty(), "no prior may be published after a diverged task");
    }
  }

  @Test
  void pairedStatisticsMatchATextbookExample() {
    // differences 1..10: mean 5.5, sd 3.02765, t(0.975, 9) = 2.262
    double[] a = new double[10];
    double[] b = new double[10];
    for (int i = 0; i < 10; i++) {
      a[i] = i + 1;
    }
    PairedStats s = PairedStats.of(a, b);
    assertEquals(5.5, s.mean(), 1e-12);
    double half = 2.262 * 3.02765 / Math.sqrt(10);
    assertEquals(5.5 - half, s.low(), 0.01);
    assertEquals(5.5 + half, s.high(), 0.01);
    assertEquals(1.972, PairedStats.tQuantile975(199), 0.001);
    assertEquals(2.045, PairedStats.tQuantile975(29), 0.002);
  }

  @Test
  void schedulesParseAndInterpolate() {
    assertEquals(0.6, Schedule.parse("0.6").at(5, 10), 1e-12);
    Schedule s = Schedule.parse("1.0:0.3");
    assertEquals(1.0, s.at(0, 8), 1e-12);
    assertEquals(0.3, s.at(7, 8), 1e-12);
    assertEquals(1.0, s.at(0, 1), 1e-12, "a single round uses the start value");
  }
}
