package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Training objectives on class logits. */
public final class Losses {

  private Losses() {}

  /** Mean cross-entropy of {@code logits} [B, N] against one-hot targets [B, N]. */
  public static NDArray crossEntropy(NDArray logits, NDArray oneHot) {
    long batch = logits.getShape().get(0);
    return logits.logSoftmax(1).mul(oneHot).sum().mul(Scalars.of(logits.getManager(), -1f / batch));
  }

  /**
   * Each stacked task's mean cross-entropy, [T], of {@code logits} [T, B, N] against one-hot targets
   * [T, B, N]. Their sum has each task's own loss gradient on that task's parameters.
   */
  public static NDArray crossEntropyPerTask(NDArray logits, NDArray oneHot) {
    long batch = logits.getShape().get(1);
    return logits.logSoftmax(2).mul(oneHot).sum(new int[] {1, 2}).mul(Scalars.of(logits.getManager(), -1f / batch));
  }

  /**
   * How many rows' argmax along the last axis is their label, as float32 on the device: a scalar for
   * logits [B, N] and labels [B], one count per task for stacked logits [T, B, N] and labels [T, B].
   */
  public static NDArray correct(NDArray logits, NDArray labels) {
    int classes = logits.getShape().dimension() - 1;
    NDArray hits = logits.argMax(classes).eq(labels).toType(DataType.FLOAT32, false);
    return classes == 1 ? hits.sum() : hits.sum(new int[] {classes - 1});
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
