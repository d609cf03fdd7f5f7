package io.fedbase.cli;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.PairedStats;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Adapts a prior and fresh supernets (and optionally the two ablations) to the same held-out tasks
 * with a progress bar: what {@code bench adaptation} and {@code demo} both report.
 */
public final class HeldOutRun {

  private HeldOutRun() {}

  public static HeldOutComparison.Result compare(
      SupernetSpec spec,
      Bundle prior,
      ImageDataset test,
      TaskSpec shape,
      InnerLoopConfig inner,
      float tau,
      int tasks,
      int[] steps,
      boolean ablations,
      long seed,
      NDManager root) {
    List<HeldOutComparison.Arm> arms = new ArrayList<>();
    arms.add(new HeldOutComparison.Arm("prior", t -> prior));
    arms.add(new HeldOutComparison.Arm("scratch", t -> HeldOutComparison.withUniformLogits(fresh(spec, seed, t))));
    if (ablations) {
      arms.add(new HeldOutComparison.Arm(UNIFORM_LOGITS, t -> HeldOutComparison.withUniformLogits(prior)));
      arms.add(new HeldOutComparison.Arm("prior-logits", t -> HeldOutComparison.withLogitsOf(fresh(spec, seed, t), prior)));
    }
    return run(spec, arms, test, shape, inner, tau, tasks, steps, seed, root);
  }

  /** Adapts each of {@code arms} to the same {@code tasks} held-out tasks. */
  public static HeldOutComparison.Result run(
      SupernetSpec spec,
      List<HeldOutComparison.Arm> arms,
      ImageDataset test,
      TaskSpec shape,
      InnerLoopConfig inner,
      float tau,
      int tasks,
      int[] steps,
      long seed,
      NDManager root) {
    // held-out tasks come from their own seed stream, apart from any meta-training draws
    TaskSampler heldOut = new TaskSampler(test, shape, seed + 1_000_003L);
    HeldOutComparison comparison = new HeldOutComparison(new InnerLoop(new Supernet(spec), inner, root), heldOut, tau, seed);
    try (Progress progress = Progress.start("held-out", (long) tasks * arms.size())) {
      long[] done = {0};
      return comparison.run(arms, tasks, steps, (arm, t, n) -> progress.update(++done[0], arm));
    }
  }

  /** The ablation arm with the prior's weights and uniform logits. */
  public static final String UNIFORM_LOGITS = "prior-weights";

  /** The index of the arm named {@code name}, or -1. */
  public static int arm(HeldOutComparison.Result r, String name) {
    for (int i = 0; i < r.arms().size(); i++) {
      if (r.arms().get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** A fresh supernet per held-out task, so "scratch" is not one lucky or unlucky draw. */
  private static Bundle fresh(SupernetSpec spec, long seed, long task) {
    return ParameterInitializer.initialize(spec, seed * 7919 + task);
  }

  /** The comparison as a Markdown table: accuracy per step count and arm, the paired difference with its 95% interval, wall time. */
  public static String table(HeldOutComparison.Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append("| steps |");
    for (HeldOutComparison.ArmResult a : r.arms()) {
      sb.append(' ').append(a.name()).append(" |");
    }
    int uniform = arm(r, UNIFORM_LOGITS);
    sb.append(" prior - scratch [95% CI] |");
    if (uniform >= 0) {
      // the logits' contribution: the full prior against its own weights with uniform logits
      sb.append(" prior - ").append(UNIFORM_LOGITS).append(" [95% CI] |");
    }
    sb.append("\n|---|");
    for (int i = 0; i <= r.arms().size() + (uniform >= 0 ? 1 : 0); i++) {
      sb.append("---|");
    }
    sb.append('\n');
    for (int c = 0; c < r.steps().length; c++) {
      sb.append("| ").append(r.steps()[c]).append(" |");
      for (HeldOutComparison.ArmResult a : r.arms()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", a.meanAt(c)));
      }
      PairedStats d = r.difference(0, 1, c);
      sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |", d.mean(), d.low(), d.high()));
      if (uniform >= 0) {
        PairedStats l = r.difference(0, uniform, c);
        sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |", l.mean(), l.low(), l.high()));
      }
      sb.append('\n');
    }
    sb.append("\nwall time:");
    for (HeldOutComparison.ArmResult a : r.arms()) {
      sb.append(String.format(Locale.ROOT, " %s %.1f s;", a.name(), a.seconds()));
    }
    return sb.append('\n').toString();
  }
}
