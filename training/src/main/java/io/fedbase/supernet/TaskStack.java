package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * How T tasks run through the supernet as one forward: their activations lie side by side along
 * the channels ([B, T * C, H, W], task t's in block t), and every tensor of their parameters is the
 * T tasks' tensors one after another along its first dimension. A dense convolution then runs as T
 * groups, a depthwise one covers the stacked channels by itself, batch norm's per-channel
 * statistics are per task already, and pooling and ReLU never mix channels — so no task sees
 * another's values, and each gets the gradient of its own loss. One pass replaces T passes of
 * small kernels, which the engine's per-op overhead and an idle GPU both favour.
 */
public final class TaskStack {

  private TaskStack() {}

  /** Images of T tasks end to end [T * B, C, H, W] as one stacked batch [B, T * C, H, W]. */
  public static NDArray alongChannels(NDArray images, int tasks) {
    Shape s = images.getShape();
    long batch = s.get(0) / tasks;
    return images
        .reshape(tasks, batch, s.get(1), s.get(2), s.get(3))
        .transpose(1, 0, 2, 3, 4)
        .reshape(batch, tasks * s.get(1), s.get(2), s.get(3));
  }
}
