package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;

/** Training objectives on class logits. */
public final class Losses {

  private Losses() {}

  /** Mean cross-entropy of {@code logits} [B, N] against one-hot targets [B, N]. */
  public static NDArray crossEntropy(NDArray logits, NDArray oneHot) {
    long batch = logits.getShape().get(0);
    return logits.logSoftmax(1).mul(oneHot).sum().mul(Scalars.of(logits.getManager(), -1f / batch));
  }
}
