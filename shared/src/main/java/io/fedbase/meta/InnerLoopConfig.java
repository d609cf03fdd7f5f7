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
 * @param logitBetaDecay weight of beta-decay, sum over edges of logsumexp(alpha), against one
 *     operation taking over its edges (0 = off)
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
    boolean adaptLogits,
    float logitBetaDecay) {

  public InnerLoopConfig {
    if (steps < 0) {
      throw new InvalidSettingException("inner.steps", "must not be negative, got " + steps);
    }
    if (!(weightLr >= 0)) {
      throw new InvalidSettingException("inner.weightLr", "must be a non-negative number, got " + weightLr);
    }
    if (!(logitLr >= 0)) {
      throw new InvalidSettingException("inner.logitLr", "must be a non-negative number, got " + logitLr);
    }
    if (!(logitWeightDecay >= 0)) {
      throw new InvalidSettingException("inner.logitWeightDecay", "must be a non-negative number, got " + logitWeightDecay);
    }
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new InvalidSettingException("inner.beta1", "must lie in [0, 1), got " + beta1);
    }
    if (!(beta2 > 0 && beta2 < 1)) {
      throw new InvalidSettingException("inner.beta2", "must lie in (0, 1), got " + beta2);
    }
    if (batchSize < 0) {
      throw new InvalidSettingException("inner.batchSize", "must not be negative, got " + batchSize);
    }
    if (relaxation == null) {
      throw new InvalidSettingException("inner.relaxation", "must be set");
    }
    if (!(logitBetaDecay >= 0) || Float.isInfinite(logitBetaDecay)) {
      throw new InvalidSettingException("inner.logitBetaDecay", "must be a non-negative number, got " + logitBetaDecay);
    }
  }

  /** The defaults of docs/ALGORITHM.md: K = 5, lr 5e-3 on the weights and 5e-2 on the logits, logit weight decay 1e-3, whole support set. */
  public static InnerLoopConfig defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder()
        .optSteps(steps)
        .optLearningRates(weightLr, logitLr)
        .optLogitWeightDecay(logitWeightDecay)
        .optBetas(beta1, beta2)
        .optBatchSize(batchSize)
        .optRelaxation(relaxation)
        .optAdaptLogits(adaptLogits)
        .optLogitBetaDecay(logitBetaDecay);
  }

  public InnerLoopConfig withSteps(int k) {
    return toBuilder().optSteps(k).build();
  }

  public InnerLoopConfig withAdaptLogits(boolean adapt) {
    return toBuilder().optAdaptLogits(adapt).build();
  }

  /** Builder in DJL's style: every setting has its default here; {@link #build()} validates. */
  public static final class Builder {
    private int steps = 5;
    private float weightLr = 5e-3f;
    // ten times the weights': at 5e-3 K = 5 normalised Adam steps move a logit by at most 0.025 and
    // the prior's logits stayed uniform; at 5e-2 they add to adaptation (BENCHMARKS.md section 19)
    private float logitLr = 5e-2f;
    private float logitWeightDecay = 1e-3f;
    private float beta1 = 0f;
    private float beta2 = 0.999f;
    private int batchSize = 0;
    private Relaxation relaxation = Relaxation.GUMBEL_SOFTMAX;
    private boolean adaptLogits = true;
    private float logitBetaDecay = 0f;

    private Builder() {}

    /** Inner steps per task, K (default 5). */
    public Builder optSteps(int k) {
      this.steps = k;
      return this;
    }

    /** Adam learning rates of the weights and of the logits (default 5e-3 and 5e-2). */
    public Builder optLearningRates(float weights, float logits) {
      this.weightLr = weights;
      this.logitLr = logits;
      return this;
    }

    /** L2 weight decay of the logits (default 1e-3). */
    public Builder optLogitWeightDecay(float decay) {
      this.logitWeightDecay = decay;
      return this;
    }

    /** Adam's betas (default 0, as BASE and MetaNAS, and 0.999). */
    public Builder optBetas(float b1, float b2) {
      this.beta1 = b1;
      this.beta2 = b2;
      return this;
    }

    /** Minibatch size drawn from the support set; 0 = the whole set (default). */
    public Builder optBatchSize(int size) {
      this.batchSize = size;
      return this;
    }

    /** How logits become edge weights (default Gumbel-softmax). */
    public Builder optRelaxation(Relaxation r) {
      this.relaxation = r;
      return this;
    }

    /** False freezes the logits (default true). */
    public Builder optAdaptLogits(boolean adapt) {
      this.adaptLogits = adapt;
      return this;
    }

    /**
     * Weight of beta-decay on the logits (default 0, off): the regulariser sum over edges of
     * logsumexp(alpha), whose gradient softmax(alpha) pushes an edge's dominant operation down
     * hardest, against the parameter-rich collapse of DARTS-style searches (Ye et al., beta-DARTS,
     * 2022). Each step moves the logits by logitLr * weight * softmax(alpha), decoupled from Adam.
     */
    public Builder optLogitBetaDecay(float weight) {
      this.logitBetaDecay = weight;
      return this;
    }

    /** The settings; throws {@link InvalidSettingException} naming the first one out of range. */
    public InnerLoopConfig build() {
      return new InnerLoopConfig(steps, weightLr, logitLr, logitWeightDecay, beta1, beta2, batchSize, relaxation, adaptLogits, logitBetaDecay);
    }
  }
}
