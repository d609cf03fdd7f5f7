package io.fedbase.learn;

import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.DeltaAccumulator;
import io.fedbase.task.Seeds;
import io.fedbase.task.Task;
import io.fedbase.task.TaskSampler;
import java.util.ArrayList;
import java.util.List;

/**
 * Adapts a prior to tasks {@code first} .. {@code first + count - 1} of a task stream and averages
 * their deltas. The local meta-trainer and a federated node both do exactly this, so the two give
 * the same prior from the same task stream.
 */
public final class TaskBatch {

  private final InnerLoop loop;
  private final TaskSampler tasks;
  private final AggregationRule aggregation;

  public TaskBatch(InnerLoop loop, TaskSampler tasks, AggregationRule aggregation) {
    this.loop = loop;
    this.tasks = tasks;
    this.aggregation = aggregation;
  }

  /**
   * Runs the batch.
   *
   * @throws IllegalStateException naming the task if an adaptation diverged (a non-finite delta)
   */
  public BatchResult adapt(Bundle prior, long first, int count, float tau, long seed) {
    DeltaAccumulator sum = aggregation.newAccumulator(prior.layout());
    double lossBefore = 0;
    double lossAfter = 0;
    double accuracy = 0;
    // a group of tasks at a time (one stacked pass each when the loop stacks), so results of at
    // most one group are held at once; deltas are added in task order either way
    int group = loop.tasksAtOnce();
    for (int b = 0; b < count; b += group) {
      int size = Math.min(group, count - b);
      List<Task> tasksOfGroup = new ArrayList<>(size);
      long[] seeds = new long[size];
      for (int i = 0; i < size; i++) {
        tasksOfGroup.add(tasks.task(first + b + i));
        seeds[i] = adaptationSeed(seed, first + b + i);
      }
      List<TaskAdaptation> results = loop.adaptAll(prior, tasksOfGroup, tau, seeds);
      for (int i = 0; i < size; i++) {
        TaskAdaptation result = results.get(i);
        String bad = result.delta().firstNonFiniteTensor();
        if (bad != null) {
          throw new IllegalStateException(
              "task " + (first + b + i) + ": adaptation diverged (" + bad + " is not finite); lower the inner learning rates or the meta step");
        }
        sum.add(result.delta(), 1.0);
        lossBefore += result.firstLoss();
        lossAfter += result.lastLoss();
        accuracy += result.query().accuracy();
      }
    }
    return new BatchResult(sum.result(), count, lossBefore / count, lossAfter / count, accuracy / count);
  }

  /** Seed of the Gumbel noise and minibatches of one task, independent of the task draw. */
  public static long adaptationSeed(long seed, long taskIndex) {
    return Seeds.mixAlternate(seed, taskIndex);
  }
}
