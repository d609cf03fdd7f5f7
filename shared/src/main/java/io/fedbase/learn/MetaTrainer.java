package io.fedbase.learn;

import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.DeltaAccumulator;
import io.fedbase.task.Seeds;
import io.fedbase.task.Task;
import io.fedbase.task.TaskSampler;

/**
 * The outer loop in one process: each round adapts W to B fresh tasks, aggregates their deltas
 * and applies the meta-update. The federated coordinator runs the same three steps with the
 * adaptation moved to the nodes.
 */
public final class MetaTrainer {

  /** Called after every round with the new prior. */
  public interface RoundListener {
    void onRound(RoundRecord record, Bundle prior);
  }

  private final InnerLoop adaptLogits;
  private final InnerLoop warmup;
  private final TaskSampler tasks;
  private final MetaOptimizer optimizer;
  private final AggregationRule aggregation;
  private final MetaTrainingConfig config;

  /**
   * @param loop the inner loop (its config is the one of {@code config.inner()})
   */
  public MetaTrainer(
      InnerLoop loop, TaskSampler tasks, MetaOptimizer optimizer, AggregationRule aggregation, MetaTrainingConfig config) {
    this.adaptLogits = loop;
    this.warmup = loop.withConfig(loop.config().withAdaptLogits(false));
    this.tasks = tasks;
    this.optimizer = optimizer;
    this.aggregation = aggregation;
    this.config = config;
  }

  /** Runs rounds {@code firstRound} (0-based) to the configured end, starting from {@code prior}. */
  public Bundle run(Bundle prior, int firstRound, RoundListener listener) {
    Bundle w = prior;
    for (int round = firstRound; round < config.rounds(); round++) {
      long start = System.nanoTime();
      float tau = config.tauAt(round);
      InnerLoop loop = config.logitsAdaptIn(round) ? adaptLogits : warmup;
      DeltaAccumulator sum = aggregation.newAccumulator(w.layout());
      double lossBefore = 0;
      double lossAfter = 0;
      double accuracy = 0;
      for (int b = 0; b < config.tasksPerRound(); b++) {
        long taskIndex = (long) round * config.tasksPerRound() + b;
        Task task = tasks.task(taskIndex);
        TaskAdaptation result = loop.adapt(w, task, tau, adaptationSeed(config.seed(), taskIndex));
        requireFinite(result, round, b);
        sum.add(result.delta(), 1.0);
        lossBefore += result.firstLoss();
        lossAfter += result.lastLoss();
        accuracy += result.query().accuracy();
      }
      Bundle mean = sum.result();
      w = optimizer.step(w, mean, round, config.rounds());
      double[] eps = optimizer.stepSizes(round, config.rounds());
      int n = config.tasksPerRound();
      RoundRecord record =
          new RoundRecord(
              round + 1,
              tau,
              eps[0],
              eps[1],
              lossBefore / n,
              lossAfter / n,
              accuracy / n,
              mean.norm(false),
              mean.norm(true),
              n,
              (System.nanoTime() - start) / 1e9);
      listener.onRound(record, w);
    }
    return w;
  }

  private static void requireFinite(TaskAdaptation result, int round, int task) {
    String bad = result.delta().firstNonFiniteTensor();
    if (bad != null) {
      // stop before the meta-update: the prior of the previous round stays the last one written
      throw new IllegalStateException(
          "round " + (round + 1) + ", task " + (task + 1) + ": adaptation diverged (" + bad
              + " is not finite); lower the inner learning rates or the meta step");
    }
  }

  /** Seed of the Gumbel noise and minibatches of one task, independent of the task draw. */
  public static long adaptationSeed(long seed, long taskIndex) {
    return Seeds.mixAlternate(seed, taskIndex);
  }
}
