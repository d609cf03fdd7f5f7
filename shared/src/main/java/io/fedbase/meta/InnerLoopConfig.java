package io.fedbase.meta;


/**
 * Settings of the posterior adaptation (docs/ALGORITHM.md): K steps of Adam with beta1 = 0 on the weights
 * and on the logits (the latter with weight decay), on minibatches of the support set.
 *
 * @param steps inner steps per task (K)
 * @param weightLr Adam learning rate of the weights
 * @param logitLr Adam learning rate of the architecture logits
 * @param logitWeightDecay L2 weight decay of the logits
 * @param beta1 Adam beta1 (0: no momentum, as BASE/MetaNAS)
 * @param beta2 Adam beta2
 * @param batchSize minibatch size drawn with replacement from the support set; 0 = whole set
 * @param relaxation how logits become edge weights during a step
 * @param adaptLogits false freezes the logits (weights-only warm-up)
 */
public record InnerLoopConfig(
    int steps,
    float weightLr,
    float logitLr,
    float logitWeightDecay,
    float beta1,
    float beta2,
    int batchSize,
    Relaxation relaxation,
    boolean adaptLogits) {

  public InnerLoopConfig {
    if (steps < 0) {
      throw new IllegalArgumentException("inner steps must not be negative, got " + steps);
    }
    if (!(weightLr >= 0) || !(logitLr >= 0) || !(logitWeightDecay >= 0)) {
      throw new IllegalArgumentException("learning rates and weight decay must be non-negative");
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 > 0 && beta2 < 1)) {
      throw new IllegalArgumentException("Adam betas must lie in [0, 1)");
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("batch size must not be negative, got " + batchSize);
    }
  }

  /** The defaults of docs/ALGORITHM.md: K = 5, lr 5e-3 on both parts, logit weight decay 1e-3, whole support set. */
  public static InnerLoopConfig defaults() {
    return new InnerLoopConfig(5, 5e-3f, 5e-3f, 1e-3f, 0f, 0.999f, 0, Relaxation.GUMBEL_SOFTMAX, true);
  }

  public InnerLoopConfig withSteps(int k) {
    return new InnerLoopConfig(k, weightLr, logitLr, logitWeightDecay, beta1, beta2, batchSize, relaxation, adaptLogits);
  }

  public InnerLoopConfig withAdaptLogits(boolean adapt) {
    return new InnerLoopConfig(steps, weightLr, logitLr, logitWeightDecay, beta1, beta2, batchSize, relaxation, adapt);
  }

  public InnerLoopConfig withRelaxation(Relaxation r) {
    return new InnerLoopConfig(steps, weightLr, logitLr, logitWeightDecay, beta1, beta2, batchSize, r, adaptLogits);
  }

  public InnerLoopConfig withLearningRates(float weights, float logits) {
    return new InnerLoopConfig(steps, weights, logits, logitWeightDecay, beta1, beta2, batchSize, relaxation, adaptLogits);
  }

  public InnerLoopConfig withBatchSize(int size) {
    return new InnerLoopConfig(steps, weightLr, logitLr, logitWeightDecay, beta1, beta2, size, relaxation, adaptLogits);
  }
}
