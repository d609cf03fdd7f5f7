package io.fedbase.learn;

import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.meta.MetaOptimizer;
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
      w = round(w, round, listener);
    }
    return w;
  }

  /** Runs round {@code round} (0-based) from {@code prior} and returns the meta-updated prior. */
  public Bundle round(Bundle prior, int round, RoundListener listener) {
    long start = System.nanoTime();
    float tau = config.tauAt(round);
    InnerLoop loop = config.logitsAdaptIn(round) ? adaptLogits : warmup;
    int n = config.tasksPerRound();
    BatchResult batch;
    try {
      batch = new TaskBatch(loop, tasks, aggregation).adapt(prior, (long) round * n, n, tau, config.seed());
    } catch (IllegalStateException e) {
      // stop before the meta-update: the prior of the previous round stays the last one written
      throw new IllegalStateException("round " + (round + 1) + ", " + e.getMessage(), e);
    }
    Bundle w = optimizer.step(prior, batch.meanDelta(), round, config.rounds());
    double[] eps = optimizer.stepSizes(round, config.rounds());
    RoundRecord record =
        new RoundRecord(
            round + 1,
            tau,
            eps[0],
            eps[1],
            batch.supportLossBefore(),
            batch.supportLossAfter(),
            batch.queryAccuracy(),
            batch.meanDelta().norm(false),
            batch.meanDelta().norm(true),
            n,
            (System.nanoTime() - start) / 1e9);
    listener.onRound(record, w);
    return w;
  }
}
