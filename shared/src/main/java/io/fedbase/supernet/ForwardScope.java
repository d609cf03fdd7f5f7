package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-forward constants: the identity scale/shift and scratch running statistics that PyTorch's
 * batch_norm insists on even when it normalises with batch statistics only. Created lazily in the
 * forward's own scope and shared by every BN of the same width.
 */
final class ForwardScope {

  private final NDManager manager;
  private final Map<Long, NDArray[]> byChannels = new HashMap<>();
  private final Map<String, NDArray> poolCoverage = new HashMap<>();

  ForwardScope(NDManager manager) {
    this.manager = manager;
  }

  NDManager manager() {
    return manager;
  }

  /**
   * Share of real (unpadded) pixels under each 3x3 window, [1, 1, H', W'], for an input of
   * height x width pooled with {@code stride}.
   */
  NDArray avgPoolCoverage(long height, long width, int stride) {
    return poolCoverage.computeIfAbsent(
        height + "x" + width + "/" + stride,
        k -> SupernetOps.averagePoolCountingPadding(manager.ones(new Shape(1, 1, height, width)), stride));
  }

  /** {ones, zeros, scratch mean, scratch var} for {@code channels}. */
  NDArray[] batchNormConstants(long channels) {
    return byChannels.computeIfAbsent(
        channels,
        c -> {
          Shape s = new Shape(c);
          return new NDArray[] {manager.ones(s), manager.zeros(s), manager.zeros(s), manager.ones(s)};
        });
  }
}
