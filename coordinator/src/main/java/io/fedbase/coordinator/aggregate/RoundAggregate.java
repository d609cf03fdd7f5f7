package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.WeightedSum;
import io.fedbase.space.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The running task-weighted sum of one round's accepted deltas: one model-sized buffer however
 * many nodes upload. Each staging file is folded in and deleted as it is merged, so this aggregator
 * keeps nothing on disk. The default {@link RoundAggregator}.
 */
public final class RoundAggregate implements RoundAggregator {

  private final BundleLayout layout;
  private final boolean taskWeighted;
  private final WeightedSum sum;
  private final List<float[]> logitDeltas = new ArrayList<>();
  private long tasks;

  /** Reused for every merge of the round; allocated on the first. */
  private ByteBuffer buffer;
  private final int logitCount;

  /** The task-weighted mean. */
  public RoundAggregate(BundleLayout layout) {
    this(layout, true);
  }

  /** The mean weighted by task counts, or ({@code taskWeighted} false) with every upload alike. */
  public RoundAggregate(BundleLayout layout, boolean taskWeighted) {
    this.layout = layout;
    this.taskWeighted = taskWeighted;
    this.sum = new WeightedSum(layout);
    this.logitCount = layout.tensors().stream().filter(TensorSpec::logits).mapToInt(TensorSpec::size).sum();
  }

  /**
   * Adds a validated upload with its task count as weight, the weight part scaled by {@code
   * weightScale} and the logit part by {@code logitScale} (norm clipping), then deletes its staging
   * file. The file is read completely before anything is added, so an I/O error leaves the sum
   * untouched. The payload goes through one reused, model-sized direct buffer straight into the
   * sum: no per-upload arrays, so memory does not grow with the number of uploads and there is no
   * garbage per merge.
   */
  @Override
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    int n = layout.totalSize();
    if (update.values() != n) {
      throw new IOException("staged upload " + update.file().getFileName() + " holds " + update.values() + " values, the model " + n);
    }
    if (buffer == null) {
      buffer = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
    buffer.clear();
    try (FileChannel in = FileChannel.open(update.file(), StandardOpenOption.READ)) {
      while (buffer.hasRemaining()) {
        if (in.read(buffer) < 0) {
          throw new IOException("staged upload " + update.file().getFileName() + " is shorter than its " + n + " values");
        }
      }
    }
    buffer.flip();
    FloatBuffer floats = buffer.asFloatBuffer();
    double weight = taskWeighted ? update.header().taskCount() : 1;
    float[] logits = new float[logitCount];
    int k = 0;
    for (int t = 0; t < layout.tensors().size(); t++) {
      boolean isLogits = layout.tensors().get(t).logits();
      FloatBuffer slice = floats.duplicate().position(layout.offset(t)).limit(layout.end(t));
      if (isLogits) {
        slice.duplicate().get(logits, k, slice.remaining());
        k += slice.remaining();
      }
      sum.addSlice(layout.offset(t), slice, weight * (isLogits ? logitScale : weightScale));
    }
    sum.added(weight);
    tasks += update.header().taskCount();
    logitDeltas.add(scaled(logits, logitScale));
    Files.deleteIfExists(update.file());
  }

  private static float[] scaled(float[] v, float scale) {
    if (scale != 1f) {
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
    }
    return v;
  }

  /** The logit values of each merged update (a few hundred floats each), for search health. */
  @Override
  public List<float[]> logitDeltas() {
    return List.copyOf(logitDeltas);
  }

  /** Updates merged so far. */
  @Override
  public int updates() {
    return sum.count();
  }

  /** Tasks behind the merged updates. */
  @Override
  public long tasks() {
    return tasks;
  }

  /** The task-weighted mean delta. */
  @Override
  public Bundle result() {
    return sum.result();
  }

  /** Nothing to delete: every staging file went when it was merged. */
  @Override
  public void close() {}

  /** As manifests record it: the method's name, or that task counts were ignored. */
  @Override
  public String toString() {
    return taskWeighted ? "mean" : "mean-unweighted";
  }
}
