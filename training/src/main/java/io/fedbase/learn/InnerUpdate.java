package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.TensorNames;
import io.fedbase.supernet.ParameterSet;

/**
 * The inner loop's optimiser: Adam on the weights and Adam with weight decay on the architecture
 * logits, state owned by the adaptation's manager. Adam is elementwise, so on stacked tasks it is
 * each task's own Adam.
 */
final class InnerUpdate {

  private final AdamOptimizer weights;
  private final AdamOptimizer logits;

  InnerUpdate(InnerLoopConfig config, NDManager stateManager) {
    this.weights = new AdamOptimizer(stateManager, config.weightLr(), config.beta1(), config.beta2(), 0f);
    this.logits = new AdamOptimizer(stateManager, config.logitLr(), config.beta1(), config.beta2(), config.logitWeightDecay());
  }

  /** One step of every trainable tensor along the gradient the last backward left on it. */
  void apply(ParameterSet params) {
    for (String name : params.trainable()) {
      NDArray weight = params.get(name);
      try (NDArray grad = weight.getGradient()) {
        (TensorNames.isLogits(name) ? logits : weights).update(name, weight, grad);
      }
    }
  }
}
