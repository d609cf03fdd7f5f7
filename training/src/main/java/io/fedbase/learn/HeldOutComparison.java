package io.fedbase.learn;

import io.fedbase.bundle.Bundle;
import io.fedbase.space.CellType;
import io.fedbase.space.TensorNames;
import io.fedbase.task.Task;
import io.fedbase.task.TaskSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The measurement behind BASE's claim: adapt several starting points ("arms": the meta-learned
 * prior, a fresh supernet, ...) to the same held-out tasks with the same inner loop and seeds,
 * and record query accuracy after given step counts. Differences are paired per task.
 */
public final class HeldOutComparison {

  /** A starting point; {@code start} gives the bundle for a task index (fresh draws may differ). */
  public record Arm(String name, LongFunction<Bundle> start) {}

  /** Per-arm accuracies [checkpoint][task] and wall time. */
  public record ArmResult(String name, double[][] accuracy, double seconds) {

    /** Mean query accuracy at checkpoint {@code c}. */
    public double meanAt(int c) {
      return PairedStats.mean(accuracy[c]);
    }
  }

  /** Everything measured. */
  public record Result(int[] steps, List<ArmResult> arms) {

    /** Paired statistics of arm {@code a} minus arm {@code b} at checkpoint {@code c}. */
    public PairedStats difference(int a, int b, int c) {
      return PairedStats.of(arms.get(a).accuracy()[c], arms.get(b).accuracy()[c]);
    }
  }

  /** Progress callback: one call per finished (arm, task). */
  public interface Progress {
    void taskDone(String arm, int task, int tasks);
  }

  private final InnerLoop loop;
  private final TaskSampler tasks;
  private final float tau;
  private final long seed;

  public HeldOutComparison(InnerLoop loop, TaskSampler tasks, float tau, long seed) {
    this.loop = loop;
    this.tasks = tasks;
    this.tau = tau;
    this.seed = seed;
  }

  /** Adapts every arm on tasks 0..taskCount-1, evaluating the query set at each of {@code steps}. */
  public Result run(List<Arm> arms, int taskCount, int[] steps, Progress progress) {
    int[] checkpoints = steps.clone();
    Arrays.sort(checkpoints);
    List<ArmResult> results = new ArrayList<>();
    for (Arm arm : arms) {
      double[][] acc = new double[checkpoints.length][taskCount];
      long start = System.nanoTime();
      for (int t = 0; t < taskCount; t++) {
        Task task = tasks.task(t);
        try (AdaptationSession s = loop.open(arm.start().apply(t), task.signature(), tau, TaskBatch.adaptationSeed(seed, t))) {
          int c = 0;
          for (int step = 0; c < checkpoints.length; step++) {
            while (c < checkpoints.length && checkpoints[c] == step) {
              acc[c][t] = s.evaluate(task.queryImages(), task.queryLabels(), task.signature(), task.ways()).accuracy();
              c++;
            }
            if (c < checkpoints.length) {
              s.step(task.supportImages(), task.supportLabels(), task.signature(), task.ways());
            }
          }
        }
        progress.taskDone(arm.name(), t + 1, taskCount);
      }
      results.add(new ArmResult(arm.name(), acc, (System.nanoTime() - start) / 1e9));
    }
    return new Result(checkpoints, results);
  }

  /** {@code w} with both logit matrices copied from {@code source}. */
  public static Bundle withLogitsOf(Bundle w, Bundle source) {
    Bundle out = w;
    for (CellType type : CellType.values()) {
      String name = TensorNames.alpha(type);
      out = out.withTensor(name, source.tensor(name));
    }
    return out;
  }

  /** {@code w} with both logit matrices set to exactly zero: a uniform architecture distribution. */
  public static Bundle withUniformLogits(Bundle w) {
    Bundle out = w;
    for (CellType type : CellType.values()) {
      String name = TensorNames.alpha(type);
      out = out.withTensor(name, new float[w.tensor(name).length]);
    }
    return out;
  }
}
