package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.TensorNames;
import io.fedbase.supernet.ParameterSet;

/**
 * The inner loop's optimiser: Adam on the weights and Adam with weight decay (and, if set,
 * beta-decay) on the architecture logits, state owned by the adaptation's manager. Adam is
 * elementwise and both decays act per edge, so on stacked tasks it is each task's own Adam.
 */
final class InnerUpdate {

  private final AdamOptimizer weights;
  private final AdamOptimizer logits;
  private final float betaDecay;
  private final float logitLr;

  InnerUpdate(InnerLoopConfig config, NDManager stateManager) {
    this.betaDecay = config.logitBetaDecay();
    this.logitLr = config.logitLr();
    this.weights = new AdamOptimizer(stateManager, config.weightLr(), config.beta1(), config.beta2(), 0f);
    this.logits = new AdamOptimizer(stateManager, config.logitLr(), config.beta1(), config.beta2(), config.logitWeightDecay());
  }

  /** One step of every trainable tensor along the gradient the last backward left on it. */
  void apply(ParameterSet params) {
    for (String name : params.trainable()) {
      NDArray weight = params.get(name);
      try (NDArray grad = weight.getGradient()) {
        if (TensorNames.isLogits(name)) {
          logits.update(name, weight, grad);
          betaDecay(weight);
        } else {
          weights.update(name, weight, grad);
        }
      }
    }
  }

  /**
   * Decoupled, as AdamW decays weights: added to the gradient, K = 5 steps of beta1 = 0 Adam would
   * normalise it away (every logit moves by about lr whatever its size, a shift the softmax ignores),
   * so the step along the regulariser's gradient softmax(alpha) is taken directly.
   */
  private void betaDecay(NDArray alpha) {
    if (betaDecay > 0) {
      try (NDArray p = alpha.softmax(-1)) {
        alpha.subi(p.muli(logitLr * betaDecay));
      }
    }
  }
}
