package io.fedbase.learn;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.InputSignature;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The posterior adaptation of docs/ALGORITHM.md (optimisation embedding): copy W, take K Adam steps on a
 * task's support set with sampled architectures, and hand back phi_K. Nodes and the local
 * meta-trainer both call this, so they compute exactly the same thing.
 */
public final class InnerLoop {

  private final Supernet supernet;
  private final InnerLoopConfig config;
  private final NDManager parent;
  private final int tasksAtOnce;

  /**
   * @param parent manager (and so device) under which every session allocates; owned by the caller
   */
  public InnerLoop(Supernet supernet, InnerLoopConfig config, NDManager parent) {
    this(supernet, config, parent, 1);
  }

  private InnerLoop(Supernet supernet, InnerLoopConfig config, NDManager parent, int tasksAtOnce) {
    if (tasksAtOnce < 1) {
      throw new IllegalArgumentException("tasks at once must be at least 1, got " + tasksAtOnce);
    }
    this.supernet = supernet;
    this.config = config;
    this.parent = parent;
    this.tasksAtOnce = tasksAtOnce;
  }

  public InnerLoopConfig config() {
    return config;
  }

  public Supernet supernet() {
    return supernet;
  }

  /** The same loop with other settings (e.g. logits frozen for warm-up). */
  public InnerLoop withConfig(InnerLoopConfig other) {
    return new InnerLoop(supernet, other, parent, tasksAtOnce);
  }

  /**
   * The same loop adapting up to {@code tasks} tasks in one stacked pass ({@link #adaptAll}); 1 =
   * one after another. Results agree up to float rounding either way.
   */
  public InnerLoop withTasksAtOnce(int tasks) {
    return new InnerLoop(supernet, config, parent, tasks);
  }

  /** How many tasks {@link #adaptAll} stacks into one pass. */
  public int tasksAtOnce() {
    return tasksAtOnce;
  }

  /** Opens a session starting at {@code start} for inputs of {@code signature}. */
  public AdaptationSession open(Bundle start, InputSignature signature, float tau, long seed) {
    return new AdaptationSession(supernet, config, parent, start, signature, tau, seed);
  }

  /**
   * Opens one session adapting {@code tasks} together in stacked passes, task i with {@code
   * seeds[i]}; they must share input, ways and set sizes.
   */
  public StackedAdaptationSession openStacked(Bundle start, List<Task> tasks, float tau, long[] seeds) {
    return new StackedAdaptationSession(supernet, config, parent, start, tasks, tau, seeds);
  }

  /** Runs the configured K steps on {@code task}'s support set and returns the result. */
  public TaskAdaptation adapt(Bundle prior, Task task, float tau, long seed) {
    try (AdaptationSession session = open(prior, task.signature(), tau, seed)) {
      for (int k = 0; k < config.steps(); k++) {
        session.advance(task.supportImages(), task.supportLabels(), task.signature(), task.ways());
      }
      // the steps' losses come back in one copy, after the last step: none per step
      double[] losses = session.readBack().stream().mapToDouble(Evaluation::loss).toArray();
      Evaluation query = session.evaluate(task.queryImages(), task.queryLabels(), task.signature(), task.ways());
      Bundle adapted = session.parameters();
      return new TaskAdaptation(adapted, adapted.minus(prior), losses, query);
    }
  }

  /**
   * Adapts {@code tasks}, task i with {@code seeds[i]}, as {@link #adapt} would one by one; with
   * {@link #tasksAtOnce} above 1, groups of that many run as one stacked pass. Tasks of a group
   * must share input, ways and set sizes (a round's tasks do).
   */
  public List<TaskAdaptation> adaptAll(Bundle prior, List<Task> tasks, float tau, long[] seeds) {
    List<TaskAdaptation> out = new ArrayList<>(tasks.size());
    for (int from = 0; from < tasks.size(); from += tasksAtOnce) {
      int to = Math.min(tasks.size(), from + tasksAtOnce);
      if (to - from == 1) {
        out.add(adapt(prior, tasks.get(from), tau, seeds[from]));
      } else {
        out.addAll(adaptStacked(prior, tasks.subList(from, to), tau, Arrays.copyOfRange(seeds, from, to)));
      }
    }
    return out;
  }

  private List<TaskAdaptation> adaptStacked(Bundle prior, List<Task> tasks, float tau, long[] seeds) {
    try (StackedAdaptationSession session = openStacked(prior, tasks, tau, seeds)) {
      for (int k = 0; k < config.steps(); k++) {
        session.advance();
      }
      double[][] losses = session.readBack();
      List<Evaluation> query = session.scoreQueries();
      List<Bundle> adapted = session.parameters();
      List<TaskAdaptation> out = new ArrayList<>(tasks.size());
      for (int t = 0; t < tasks.size(); t++) {
        out.add(new TaskAdaptation(adapted.get(t), adapted.get(t).minus(prior), losses[t], query.get(t)));
      }
      return out;
    }
  }
}
