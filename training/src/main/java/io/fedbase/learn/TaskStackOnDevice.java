package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.fedbase.space.InputSignature;
import io.fedbase.supernet.TaskStack;
import java.util.List;

/**
 * Several tasks' labelled sets of one size on the device, copied once: the images of all tasks end
 * to end [T * S, C, H, W] (where a step's rows are picked), the whole sets stacked along the
 * channels [S, T * C, H, W] (see {@link TaskStack}), and the one-hot targets and labels per task.
 */
final class TaskStackOnDevice implements AutoCloseable {

  /** One step's inputs: images [B, T * C, H, W], one-hot targets [T, B, ways], labels [T, B]. */
  record Batch(NDArray images, NDArray oneHot, NDArray labels) {}

  private final int tasks;
  private final int size;
  private final TaskOnDevice endToEnd;
  private final NDArray stacked;

  private TaskStackOnDevice(int tasks, int size, TaskOnDevice endToEnd, NDArray stacked) {
    this.tasks = tasks;
    this.size = size;
    this.endToEnd = endToEnd;
    this.stacked = stacked;
  }

  /** Uploads one set per task; every set must have the same number of examples. */
  static TaskStackOnDevice upload(NDManager manager, List<float[]> images, List<int[]> labels, InputSignature signature, int ways) {
    int tasks = images.size();
    int size = labels.get(0).length;
    float[] allImages = new float[tasks * size * signature.size()];
    int[] allLabels = new int[tasks * size];
    for (int t = 0; t < tasks; t++) {
      if (labels.get(t).length != size || images.get(t).length != size * signature.size()) {
        throw new IllegalArgumentException("stacked tasks need sets of one size: task " + t + " differs from task 0");
      }
      System.arraycopy(images.get(t), 0, allImages, t * size * signature.size(), size * signature.size());
      System.arraycopy(labels.get(t), 0, allLabels, t * size, size);
    }
    TaskOnDevice endToEnd = TaskOnDevice.upload(manager, allImages, allLabels, signature, ways);
    return new TaskStackOnDevice(tasks, size, endToEnd, TaskStack.alongChannels(endToEnd.images(), tasks));
  }

  /** Lends the arrays to a step's scope, so what is computed from them lands there. */
  void tempAttachTo(NDManager scope) {
    endToEnd.tempAttachTo(scope);
    stacked.tempAttach(scope);
  }

  /** The whole sets. */
  Batch all() {
    return new Batch(stacked, endToEnd.oneHot().reshape(tasks, size, -1), endToEnd.labels().reshape(tasks, size));
  }

  /** The rows {@code rows} [T * B] picked from the sets laid end to end, task by task. */
  Batch rows(NDArray rows) {
    NDIndex pick = new NDIndex("{}", rows);
    long batch = rows.getShape().size() / tasks;
    return new Batch(
        TaskStack.alongChannels(endToEnd.images().get(pick), tasks),
        endToEnd.oneHot().get(pick).reshape(tasks, batch, -1),
        endToEnd.labels().get(pick).reshape(tasks, batch));
  }

  @Override
  public void close() {
    endToEnd.close();
    stacked.close();
  }
}
