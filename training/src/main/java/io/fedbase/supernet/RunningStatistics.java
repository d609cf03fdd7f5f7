package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.space.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * BatchNorm running statistics of a trained network: one (mean, variance) pair per BN call, in
 * forward order. Training creates a pair on first use and the engine updates it in place with
 * momentum; inference normalises with it, so a prediction does not depend on the rest of its batch.
 * The arrays belong to the manager given at creation.
 */
public final class RunningStatistics {

  /** Layout hash of a statistics bundle: it belongs to no model spec of its own. */
  public static final String LAYOUT_HASH = "fedbase-bn-statistics/1";

  private final NDManager manager;
  private final List<NDArray[]> pairs = new ArrayList<>();

  private RunningStatistics(NDManager manager) {
    this.manager = manager;
  }

  /** No statistics yet; a training forward creates them. */
  public static RunningStatistics empty(NDManager manager) {
    return new RunningStatistics(manager);
  }

  /** Statistics saved by {@link #toBundle()}. */
  public static RunningStatistics load(Bundle saved, NDManager manager) {
    List<TensorSpec> tensors = saved.layout().tensors();
    if (tensors.size() % 2 != 0) {
      throw new IllegalArgumentException("BN statistics come in (mean, variance) pairs; got " + tensors.size() + " tensors");
    }
    RunningStatistics stats = new RunningStatistics(manager);
    for (int i = 0; i < tensors.size() / 2; i++) {
      TensorSpec mean = tensors.get(2 * i);
      TensorSpec var = tensors.get(2 * i + 1);
      if (!mean.name().equals(meanName(i)) || !var.name().equals(varianceName(i)) || mean.size() != var.size()) {
        throw new IllegalArgumentException("BN statistics pair " + i + " is malformed: " + mean.name() + ", " + var.name());
      }
      Shape shape = new Shape(mean.size());
      stats.pairs.add(
          new NDArray[] {
            DeviceTransfers.toDevice(manager, saved.tensor(mean.name()), shape), DeviceTransfers.toDevice(manager, saved.tensor(var.name()), shape)
          });
    }
    return stats;
  }

  static String meanName(int index) {
    return "bn." + index + ".running_mean";
  }

  static String varianceName(int index) {
    return "bn." + index + ".running_var";
  }

  /** Number of BN layers recorded. */
  public int size() {
    return pairs.size();
  }

  /**
   * The pair of BN call {@code index}: created (mean 0, variance 1) when training reaches a BN
   * for the first time, an error at inference.
   */
  NDArray[] pair(int index, long channels, boolean createIfMissing) {
    if (index == pairs.size() && createIfMissing) {
      pairs.add(new NDArray[] {manager.zeros(new Shape(channels)), manager.ones(new Shape(channels))});
    }
    if (index >= pairs.size()) {
      throw new IllegalStateException(
          "the model holds statistics for " + pairs.size() + " BN layers, but its forward pass has more; the model file does not belong to this network");
    }
    NDArray[] pair = pairs.get(index);
    if (pair[0].getShape().get(0) != channels) {
      throw new IllegalStateException(
          "BN layer " + index + " has statistics for " + pair[0].getShape().get(0) + " channels, the network feeds it " + channels);
    }
    return pair;
  }

  /** A copy of the statistics as a bundle ({@code bn.I.running_mean}, {@code bn.I.running_var}). */
  public Bundle toBundle() {
    List<TensorSpec> tensors = new ArrayList<>();
    List<float[]> values = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      int channels = (int) pairs.get(i)[0].getShape().get(0);
      tensors.add(TensorSpec.weight(meanName(i), channels));
      tensors.add(TensorSpec.weight(varianceName(i), channels));
      values.add(DeviceTransfers.toHost(pairs.get(i)[0]));
      values.add(DeviceTransfers.toHost(pairs.get(i)[1]));
    }
    BundleLayout layout = new BundleLayout(LAYOUT_HASH, tensors);
    float[] flat = new float[layout.totalSize()];
    for (int i = 0; i < values.size(); i++) {
      System.arraycopy(values.get(i), 0, flat, layout.offset(i), values.get(i).length);
    }
    return Bundle.of(layout, flat);
  }
}
