package io.fedbase.cli;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.option.FlagValue;
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

  /** The arm every other one is compared with: the prior as it is. */
  public static final String PRIOR = "prior";

  /** Fresh weights and uniform logits, one draw per task. */
  public static final String SCRATCH = "scratch";

  /** The ablation arm with the prior's weights and uniform logits. */
  public static final String UNIFORM_LOGITS = "prior-weights";

  /** The ablation arm with fresh weights and the prior's logits. */
  public static final String PRIOR_LOGITS = "prior-logits";

  /** Every arm, in the order they run and are reported. */
  public static final List<String> ALL_ARMS = List.of(PRIOR, SCRATCH, UNIFORM_LOGITS, PRIOR_LOGITS);

  /** The prior against scratch, and with {@code ablations} also against its two halves. */
  public static List<String> arms(boolean ablations) {
    return ablations ? ALL_ARMS : List.of(PRIOR, SCRATCH);
  }

  /**
   * Checks a requested set of arms and puts it in report order; the prior is always among them,
   * since every difference is taken against it.
   */
  public static List<String> arms(List<String> requested) {
    for (String name : requested) {
      if (!ALL_ARMS.contains(name)) {
        throw new IllegalArgumentException("--arms: unknown arm '" + FlagValue.shown(name) + "', use " + String.join(", ", ALL_ARMS));
      }
    }
    if (!requested.contains(PRIOR)) {
      throw new IllegalArgumentException("--arms must include '" + PRIOR + "': every difference is taken against it");
    }
    if (requested.size() < 2) {
      throw new IllegalArgumentException("--arms must name at least one arm besides '" + PRIOR + "' to compare it with");
    }
    return ALL_ARMS.stream().filter(requested::contains).toList();
  }

  /** Adapts the named arms (see {@link #ALL_ARMS}, prior first) to the same held-out tasks. */
  public static HeldOutComparison.Result compare(
      SupernetSpec spec,
      Bundle prior,
      ImageDataset test,
      TaskSpec shape,
      InnerLoopConfig inner,
      float tau,
      int tasks,
      int[] steps,
      List<String> names,
      long seed,
      NDManager root) {
    List<HeldOutComparison.Arm> arms = new ArrayList<>();
    for (String name : arms(names)) {
      arms.add(
          new HeldOutComparison.Arm(
              name,
              switch (name) {
                case PRIOR -> t -> prior;
                case SCRATCH -> t -> HeldOutComparison.withUniformLogits(fresh(spec, seed, t));
                case UNIFORM_LOGITS -> t -> HeldOutComparison.withUniformLogits(prior);
                case PRIOR_LOGITS -> t -> HeldOutComparison.withLogitsOf(fresh(spec, seed, t), prior);
                default -> throw new IllegalStateException(name);
              }));
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

  /**
   * The comparison as a Markdown table: accuracy per step count and arm, the paired differences
   * prior − scratch and prior − prior-weights (the logits' contribution) with their 95% intervals
   * where those arms ran, wall time.
   */
  public static String table(HeldOutComparison.Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append("| steps |");
    for (HeldOutComparison.ArmResult a : r.arms()) {
      sb.append(' ').append(a.name()).append(" |");
    }
    List<Integer> compared = new ArrayList<>();
    for (String name : List.of(SCRATCH, UNIFORM_LOGITS)) {
      int i = arm(r, name);
      if (i > 0) {
        compared.add(i);
        sb.append(" prior - ").append(name).append(" [95% CI] |");
      }
    }
    sb.append("\n|---|");
    for (int i = 0; i < r.arms().size() + compared.size(); i++) {
      sb.append("---|");
    }
    sb.append('\n');
    for (int c = 0; c < r.steps().length; c++) {
      sb.append("| ").append(r.steps()[c]).append(" |");
      for (HeldOutComparison.ArmResult a : r.arms()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", a.meanAt(c)));
      }
      for (int i : compared) {
        PairedStats d = r.difference(0, i, c);
        sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |", d.mean(), d.low(), d.high()));
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
