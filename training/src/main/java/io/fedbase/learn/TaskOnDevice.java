package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.space.InputSignature;
import io.fedbase.supernet.Losses;

/**
 * A labelled set of images on the device: the images, their one-hot targets and their labels as
 * int64 (what argmax compares with), copied once and used by every step on that set.
 *
 * @param sourceImages the host array the images came from (to recognise the same set again)
 * @param sourceLabels the host array the labels came from
 */
record TaskOnDevice(float[] sourceImages, int[] sourceLabels, NDArray images, NDArray oneHot, NDArray labels) implements AutoCloseable {

  static TaskOnDevice upload(NDManager manager, float[] images, int[] labels, InputSignature signature, int ways) {
    int n = labels.length;
    NDArray x = DeviceTransfers.toDevice(manager, images, new Shape(n, signature.channels(), signature.height(), signature.width()));
    NDArray targets = DeviceTransfers.toDevice(manager, Losses.oneHot(labels, ways), new Shape(n, ways));
    return new TaskOnDevice(images, labels, x, targets, DeviceTransfers.toDevice(manager, labels, new Shape(n)));
  }

  /** Whether these are the device copies of exactly these host arrays. */
  boolean holds(float[] images, int[] labels) {
    return sourceImages == images && sourceLabels == labels;
  }

  /** Lends the arrays to a step's scope, so what is computed from them lands there. */
  void tempAttachTo(NDManager scope) {
    images.tempAttach(scope);
    oneHot.tempAttach(scope);
    labels.tempAttach(scope);
  }

  @Override
  public void close() {
    images.close();
    oneHot.close();
    labels.close();
  }
}
