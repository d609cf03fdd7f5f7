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
 * scope). Only the tensors selected as trainable record gradients.
 */
public final class ParameterSet {

  private final BundleLayout layout;
  private final Map<String, NDArray> arrays;
  private final List<String> trainable;

  private ParameterSet(BundleLayout layout, Map<String, NDArray> arrays, List<String> trainable) {
    this.layout = layout;
    this.arrays = arrays;
    this.trainable = trainable;
  }

  /**
   * Copies {@code bundle} into arrays owned by {@code manager}; tensors accepted by {@code
   * trainable} get gradients attached.
   */
  public static ParameterSet load(Bundle bundle, NDManager manager, Predicate<TensorSpec> trainable) {
    BundleLayout layout = bundle.layout();
    FloatBuffer values = bundle.values();
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    List<String> trainableNames = new ArrayList<>();
    for (int i = 0; i < layout.tensors().size(); i++) {
      TensorSpec t = layout.tensors().get(i);
      FloatBuffer slice = values.duplicate().position(layout.offset(i)).limit(layout.end(i)).slice();
      NDArray array = DeviceTransfers.toDevice(manager, slice, new Shape(toLongs(t.shape())));
      array.setName(t.name());
      if (trainable.test(t)) {
        array.setRequiresGradient(true);
        trainableNames.add(t.name());
      }
      arrays.put(t.name(), array);
    }
    return new ParameterSet(layout, Collections.unmodifiableMap(arrays), Collections.unmodifiableList(trainableNames));
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

  /**
   * Attaches every array to {@code scope} until it closes, so results of ops whose first operand is
   * a parameter are freed with the scope instead of piling up in the owner.
   */
  public void tempAttachTo(NDManager scope) {
    for (NDArray a : arrays.values()) {
      a.tempAttach(scope);
    }
  }

  /** Copies the current values back into a bundle of the same layout. */
  public Bundle toBundle() {
    float[] out = new float[layout.totalSize()];
    for (int i = 0; i < layout.tensors().size(); i++) {
      float[] v = DeviceTransfers.toHost(arrays.get(layout.tensors().get(i).name()));
      System.arraycopy(v, 0, out, layout.offset(i), v.length);
    }
    return Bundle.of(layout, out);
  }
}
