package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.DeviceTransfers;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SGD with momentum and weight decay, the optimiser DARTS trains derived networks with. The update
 * is the engine's fused kernel (which also zeroes the gradient): v = momentum * v - lr * (scale *
 * g + decay * w); w += v. The learning rate sits inside the buffer (Sutskever's form; PyTorch
 * applies it outside), which differs only while the rate changes, and a cosine schedule changes it
 * slowly. Buffers are owned by an explicit manager and can be exported and restored, so training
 * resumes exactly.
 */
public final class SgdMomentum {

  private static final float NO_CLIP = -1f;

  private final NDManager stateManager;
  private final float momentum;
  private final float weightDecay;
  private final Map<String, NDArray> buffers = new LinkedHashMap<>();

  public SgdMomentum(NDManager stateManager, float momentum, float weightDecay) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must lie in [0, 1), got " + momentum);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight decay must not be negative, got " + weightDecay);
    }
    this.stateManager = stateManager;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /**
   * One step of {@code weight} (in place) along {@code grad} scaled by {@code gradScale} (for
   * clipping by the global norm) with learning rate {@code learningRate}.
   */
  public void update(String name, NDArray weight, NDArray grad, float learningRate, float gradScale) {
    NDArray buffer = buffers.computeIfAbsent(name, k -> stateManager.zeros(weight.getShape()));
    weight
        .getNDArrayInternal()
        .sgdUpdate(new NDList(weight, grad, buffer), new NDList(weight), learningRate, weightDecay, gradScale, NO_CLIP, momentum, false);
  }

  /** A copy of every momentum buffer, by parameter name. */
  public Map<String, float[]> exportBuffers() {
    Map<String, float[]> out = new LinkedHashMap<>();
    buffers.forEach((name, b) -> out.put(name, DeviceTransfers.toHost(b)));
    return out;
  }

  /** Restores buffers saved by {@link #exportBuffers()}; {@code shapes} supplies each one's shape. */
  public void restoreBuffers(Map<String, float[]> saved, Map<String, Shape> shapes) {
    saved.forEach(
        (name, values) -> {
          Shape shape = shapes.get(name);
          if (shape == null || shape.size() != values.length) {
            throw new IllegalArgumentException("momentum buffer " + name + " does not fit any parameter");
          }
          NDArray old = buffers.put(name, DeviceTransfers.toDevice(stateManager, values, shape));
          if (old != null) {
            old.close();
          }
        });
  }
}
