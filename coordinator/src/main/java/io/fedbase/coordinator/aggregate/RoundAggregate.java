package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.WeightedSum;
import io.fedbase.space.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The running task-weighted sum of one round's accepted deltas: one model-sized buffer however
 * many nodes upload.
 */
public final class RoundAggregate {

  private final BundleLayout layout;
  private final WeightedSum sum;
  private final List<float[]> logitDeltas = new ArrayList<>();
  private long tasks;

  public RoundAggregate(BundleLayout layout) {
    this.layout = layout;
    this.sum = new WeightedSum(layout);
  }

  /**
   * Adds a validated upload with its task count as weight, then deletes its staging file. The file
   * is read completely before anything is added, so an I/O error leaves the sum untouched; merges
   * are serialised by the round, so the transient copies are per merge, never one per node.
   */
  public void merge(StagedUpdate update) throws IOException {
    merge(update, 1f, 1f);
  }

  /**
   * {@link #merge(StagedUpdate)} with the weight part scaled by {@code weightScale} and the logit
   * part by {@code logitScale} (norm clipping).
   */
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    float[] values = new float[update.values()];
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel in = FileChannel.open(update.file(), StandardOpenOption.READ)) {
      while (bytes.hasRemaining()) {
        if (in.read(bytes) < 0) {
          throw new IOException("staged upload " + update.file().getFileName() + " is shorter than its " + values.length + " values");
        }
      }
    }
    bytes.flip();
    bytes.asFloatBuffer().get(values);
    if (weightScale != 1f || logitScale != 1f) {
      for (int t = 0; t < layout.tensors().size(); t++) {
        float scale = layout.tensors().get(t).logits() ? logitScale : weightScale;
        for (int i = layout.offset(t); i < layout.end(t); i++) {
          values[i] *= scale;
        }
      }
    }
    Bundle delta = Bundle.of(layout, values);
    sum.add(delta, update.header().taskCount());
    tasks += update.header().taskCount();
    logitDeltas.add(logitPart(delta));
    Files.deleteIfExists(update.file());
  }

  /** The logit values of each merged update (a few hundred floats each), for search health. */
  public List<float[]> logitDeltas() {
    return List.copyOf(logitDeltas);
  }

  private float[] logitPart(Bundle delta) {
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (TensorSpec t : layout.tensors()) {
      if (t.logits()) {
        float[] v = delta.tensor(t.name());
        parts.add(v);
        n += v.length;
      }
    }
    float[] out = new float[n];
    int k = 0;
    for (float[] v : parts) {
      System.arraycopy(v, 0, out, k, v.length);
      k += v.length;
    }
    return out;
  }

  /** Updates merged so far. */
  public int updates() {
    return sum.count();
  }

  /** Tasks behind the merged updates. */
  public long tasks() {
    return tasks;
  }

  /** The task-weighted mean delta. */
  public Bundle mean() {
    return sum.result();
  }
}
