package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.WeightedSum;
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
   * are serialised by the round, so this is one extra model-sized buffer, not one per node.
   */
  public void merge(StagedUpdate update) throws IOException {
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
    WeightedSum.Contribution contribution = sum.begin(update.header().taskCount());
    contribution.add(values, values.length);
    contribution.finish();
    tasks += update.header().taskCount();
    logitDeltas.add(logitPart(values));
    Files.deleteIfExists(update.file());
  }

  /** The logit values of each merged update (a few hundred floats each), for search health. */
  public List<float[]> logitDeltas() {
    return List.copyOf(logitDeltas);
  }

  private float[] logitPart(float[] values) {
    int n = 0;
    for (int t = 0; t < layout.tensors().size(); t++) {
      if (layout.tensors().get(t).logits()) {
        n += layout.end(t) - layout.offset(t);
      }
    }
    float[] out = new float[n];
    int k = 0;
    for (int t = 0; t < layout.tensors().size(); t++) {
      if (layout.tensors().get(t).logits()) {
        int len = layout.end(t) - layout.offset(t);
        System.arraycopy(values, layout.offset(t), out, k, len);
        k += len;
      }
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
