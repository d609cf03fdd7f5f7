package io.fedbase.learn;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.InputSignature;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.Task;

/**
 * The posterior adaptation of docs/ALGORITHM.md (optimisation embedding): copy W, take K Adam steps on a
 * task's support set with sampled architectures, and hand back phi_K. Nodes and the local
 * meta-trainer both call this, so they compute exactly the same thing.
 */
public final class InnerLoop {

  private final Supernet supernet;
  private final InnerLoopConfig config;
  private final NDManager parent;

  /**
   * @param parent manager (and so device) under which every session allocates; owned by the caller
   */
  public InnerLoop(Supernet supernet, InnerLoopConfig config, NDManager parent) {
    this.supernet = supernet;
    this.config = config;
    this.parent = parent;
  }

  public InnerLoopConfig config() {
    return config;
  }

  public Supernet supernet() {
    return supernet;
  }

  /** The same loop with other settings (e.g. logits frozen for warm-up). */
  public InnerLoop withConfig(InnerLoopConfig other) {
    return new InnerLoop(supernet, other, parent);
  }

  /** Opens a session starting at {@code start} for inputs of {@code signature}. */
  public AdaptationSession open(Bundle start, InputSignature signature, float tau, long seed) {
    return new AdaptationSession(supernet, config, parent, start, signature, tau, seed);
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
}
