package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.DeviceTransfers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-forward state: the identity scale/shift and scratch running statistics that PyTorch's
 * batch_norm insists on even when it normalises with batch statistics only (created lazily in the
 * forward's own scope, shared by every BN of the same width), and the {@link ForwardRegime}'s
 * running statistics and drop-path masks, handed out in call order.
 */
final class ForwardScope {

  private final NDManager manager;
  private final ForwardRegime regime;
  private final SplittableRandom dropPathRng;
  private final int tasks;
  private final Map<Long, NDArray[]> byChannels = new HashMap<>();
  private final Map<String, NDArray> poolCoverage = new HashMap<>();
  private int batchNormCalls;

  ForwardScope(NDManager manager) {
    this(manager, ForwardRegime.BATCH_STATISTICS, 1);
  }

  ForwardScope(NDManager manager, ForwardRegime regime) {
    this(manager, regime, 1);
  }

  /**
   * @param tasks how many tasks' activations lie side by side along the channels (see {@link
   *     TaskStack}); 1 for an ordinary forward
   */
  ForwardScope(NDManager manager, ForwardRegime regime, int tasks) {
    this.manager = manager;
    this.regime = regime;
    this.dropPathRng = new SplittableRandom(regime.dropPathSeed());
    this.tasks = tasks;
  }

  /** Tasks stacked along the channels: a dense convolution runs as this many groups, one per task. */
  int tasks() {
    return tasks;
  }

  /**
   * Concatenates feature maps along the channels task by task: with several tasks stacked, each
   * task's channels of every part stay together, so task t's block is its own concatenation.
   */
  NDArray concatChannels(List<NDArray> parts) {
    if (tasks == 1) {
      return NDArrays.concat(new NDList(parts), 1);
    }
    NDList perTask = new NDList(parts.size());
    for (NDArray part : parts) {
      Shape s = part.getShape();
      perTask.add(part.reshape(s.get(0), tasks, s.get(1) / tasks, s.get(2), s.get(3)));
    }
    NDArray joined = NDArrays.concat(perTask, 2);
    Shape j = joined.getShape();
    return joined.reshape(j.get(0), j.get(1) * j.get(2), j.get(3), j.get(4));
  }

  /** DJL's BN momentum (the share of the old running value kept) for this forward. */
  float batchNormMomentum() {
    return 1f - regime.statisticsUpdate();
  }

  /** True when BN normalises with the batch's own statistics. */
  boolean normalisesWithBatch() {
    return regime.training();
  }

  /**
   * {mean, variance} the next BN call reads (inference) or updates in place (training), or null
   * when the regime keeps no statistics.
   */
  NDArray[] nextRunningStatistics(long channels) {
    int index = batchNormCalls++;
    return regime.statistics() == null ? null : regime.statistics().pair(index, channels, regime.training());
  }

  /**
   * {@code x} with each sample's values zeroed with the regime's drop-path probability and the
   * survivors scaled by 1/keep (DARTS' drop_path); {@code x} itself when nothing is dropped.
   */
  NDArray dropPath(NDArray x) {
    float drop = regime.dropPathProbability();
    if (drop == 0f) {
      return x;
    }
    int batch = (int) x.getShape().get(0);
    float keep = 1f - drop;
    float[] mask = new float[batch];
    for (int i = 0; i < batch; i++) {
      mask[i] = dropPathRng.nextDouble() < keep ? 1f / keep : 0f;
    }
    // one small copy per forward of a derived network's training (the supernet's adaptation drops no paths)
    return x.mul(DeviceTransfers.toDevice(manager, mask, new Shape(batch, 1, 1, 1)));
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
