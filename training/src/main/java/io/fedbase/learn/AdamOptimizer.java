package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Adam with its state (first and second moments, step count per tensor) owned by an explicit
 * manager, so a task's optimiser state dies with the task. The update itself is the engine's fused
 * kernel, which also zeroes the parameter's gradient for the next step.
 */
final class AdamOptimizer {

  private static final float EPSILON = 1e-8f;
  private static final float NO_CLIP = -1f;

  private final NDManager stateManager;
  private final float learningRate;
  private final float beta1;
  private final float beta2;
  private final float weightDecay;
  private final Map<String, NDArray[]> moments = new HashMap<>();
  private final Map<String, Integer> steps = new HashMap<>();

  AdamOptimizer(NDManager stateManager, float learningRate, float beta1, float beta2, float weightDecay) {
    this.stateManager = stateManager;
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.weightDecay = weightDecay;
  }

  /** One Adam step of {@code weight} (in place) along {@code grad}. */
  void update(String name, NDArray weight, NDArray grad) {
    NDArray[] m =
        moments.computeIfAbsent(
            name, k -> new NDArray[] {stateManager.zeros(weight.getShape()), stateManager.zeros(weight.getShape())});
    int t = steps.merge(name, 1, Integer::sum);
    double correction1 = 1 - Math.pow(beta1, t);
    double correction2 = 1 - Math.pow(beta2, t);
    float biasCorrectedLr = (float) (learningRate * Math.sqrt(correction2) / correction1);
    weight
        .getNDArrayInternal()
        .adamUpdate(
            new NDList(weight, grad, m[0], m[1]),
            new NDList(weight),
            learningRate,
            biasCorrectedLr,
            weightDecay,
            1f,
            NO_CLIP,
            beta1,
            beta2,
            EPSILON,
            false,
            false);
  }
}
