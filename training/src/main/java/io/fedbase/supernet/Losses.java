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

  /** Labels 0..ways-1 as one-hot rows [labels.length * ways], the target {@link #crossEntropy} takes. */
  public static float[] oneHot(int[] labels, int ways) {
    float[] out = new float[labels.length * ways];
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= ways) {
        throw new IllegalArgumentException("label " + labels[i] + " outside 0.." + (ways - 1));
      }
      out[i * ways + labels[i]] = 1f;
    }
    return out;
  }
}
