package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.space.TensorSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A bundle loaded into DJL arrays, owned by one {@link NDManager} (the caller's task or model
 * scope). Only the tensors selected as trainable record gradients. A stacked set holds several
 * tasks' bundles of one layout, each tensor [tasks * d0, d1, ...] task by task (see {@link
 * TaskStack}).
 */
public final class ParameterSet {

  private final BundleLayout layout;
  private final int tasks;
  private final Map<String, NDArray> arrays;
  private final List<String> trainable;

  private ParameterSet(BundleLayout layout, int tasks, Map<String, NDArray> arrays, List<String> trainable) {
    this.layout = layout;
    this.tasks = tasks;
    this.arrays = arrays;
    this.trainable = trainable;
  }

  /**
   * Copies {@code bundle} into arrays owned by {@code manager}; tensors accepted by {@code
   * trainable} get gradients attached.
   */
  public static ParameterSet load(Bundle bundle, NDManager manager, Predicate<TensorSpec> trainable) {
    return loadStacked(List.of(bundle), manager, trainable);
  }

  /**
   * Copies {@code bundles} (one per task, all of one layout) into one array per tensor, task by task
   * along its first dimension, one copy to the device per tensor.
   */
  public static ParameterSet loadStacked(List<Bundle> bundles, NDManager manager, Predicate<TensorSpec> trainable) {
    BundleLayout layout = bundles.get(0).layout();
    for (Bundle b : bundles) {
      if (!b.layout().equals(layout)) {
        throw new IllegalArgumentException("stacked bundles must share one layout");
      }
    }
    int tasks = bundles.size();
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    List<String> trainableNames = new ArrayList<>();
    for (int i = 0; i < layout.tensors().size(); i++) {
      TensorSpec t = layout.tensors().get(i);
      int size = layout.end(i) - layout.offset(i);
      FloatBuffer stacked = FloatBuffer.allocate(size * tasks);
      for (Bundle b : bundles) {
        stacked.put(b.values().duplicate().position(layout.offset(i)).limit(layout.end(i)));
      }
      long[] shape = toLongs(t.shape());
      shape[0] *= tasks;
      NDArray array = DeviceTransfers.toDevice(manager, stacked.flip(), new Shape(shape));
      array.setName(t.name());
      if (trainable.test(t)) {
        array.setRequiresGradient(true);
        trainableNames.add(t.name());
      }
      arrays.put(t.name(), array);
    }
    return new ParameterSet(layout, tasks, Collections.unmodifiableMap(arrays), Collections.unmodifiableList(trainableNames));
  }

  static long[] toLongs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }

  /** The array for a tensor name. */
  public NDArray get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no tensor named " + name);
    }
    return a;
  }

  /** Names of the tensors that record gradients, in canonical order. */
  public List<String> trainable() {
    return trainable;
  }

  public BundleLayout layout() {
    return layout;
  }

  /** How many tasks' values each array holds (1 unless stacked). */
  public int tasks() {
    return tasks;
  }

  /**
   * Attaches every array to {@code scope} until it closes, so results of ops whose first operand is
   * a parameter are freed with the scope instead of piling up in the owner.
   */
  public void tempAttachTo(NDManager scope) {
    for (NDArray a : arrays.values()) {
      a.tempAttach(scope);
    }
  }

  /** Copies the current values back into a bundle of the same layout (of a set holding one task). */
  public Bundle toBundle() {
    if (tasks != 1) {
      throw new IllegalStateException("a stack of " + tasks + " tasks has one bundle per task: use toBundles()");
    }
    return toBundles().get(0);
  }

  /** Copies the current values back, one bundle per task in stacking order, one copy per tensor. */
  public List<Bundle> toBundles() {
    float[][] out = new float[tasks][layout.totalSize()];
    for (int i = 0; i < layout.tensors().size(); i++) {
      float[] v = DeviceTransfers.toHost(arrays.get(layout.tensors().get(i).name()));
      int size = v.length / tasks;
      for (int task = 0; task < tasks; task++) {
        System.arraycopy(v, task * size, out[task], layout.offset(i), size);
      }
    }
    List<Bundle> bundles = new ArrayList<>(tasks);
    for (float[] values : out) {
      bundles.add(Bundle.of(layout, values));
    }
    return bundles;
  }
}
