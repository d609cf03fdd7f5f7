package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A round aggregator for order-statistic rules ({@link CoordinateMedian}, {@link TrimmedMean}),
 * which cannot be folded into a running sum: it keeps every accepted upload on disk and computes
 * the {@link CoordinateRule} coordinate by coordinate at the end, block by block (see {@link
 * BlockPlan}), so memory is the configured bound plus the result (the output array and the
 * bundle made of it), whatever the number of nodes. Computing the result holds one open file per
 * kept upload.
 *
 * <p>Keeping an upload costs no copy: the staging file is renamed ({@link StagedFiles#keep}). Clip
 * scales are recorded and applied as values are read back. The kept files are deleted once the
 * result is computed, or by {@link #close()} if the round ends without one.
 *
 * <p>Task counts do not weigh in (see the rules); {@link #tasks()} still sums them for the round's
 * statistics.
 *
 * <p>Not combinable with secure aggregation: there the coordinator only ever learns the sum of
 * masked uploads, never one node's values, and an order statistic needs every node's value at each
 * coordinate. A federation must choose one or the other.
 */
public final class SpillingAggregate implements RoundAggregator {

  private final BundleLayout layout;
  private final CoordinateRule rule;
  private final long memoryBytes;
  private final List<KeptUpload> kept = new ArrayList<>();
  private final List<float[]> logitDeltas = new ArrayList<>();
  private long tasks;
  private long blockBytes;
  private Bundle result;
  private boolean closed;

  public SpillingAggregate(BundleLayout layout, CoordinateRule rule, long memoryBytes) {
    if (memoryBytes < 1) {
      throw new IllegalArgumentException("the aggregation memory bound must be positive, got " + memoryBytes);
    }
    this.layout = layout;
    this.rule = rule;
    this.memoryBytes = memoryBytes;
  }

  /**
   * Reads the upload's logit part (for search health), then takes its staging file over by
   * renaming it. An I/O error before the rename leaves the file with the caller and the aggregate
   * unchanged.
   */
  @Override
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    if (result != null || closed) {
      throw new IllegalStateException("the round's uploads were already aggregated or discarded");
    }
    if (update.values() != layout.totalSize()) {
      throw new IOException("staged upload " + update.file().getFileName() + " holds " + update.values() + " values, the model " + layout.totalSize());
    }
    if (!StagedFiles.validScale(weightScale) || !StagedFiles.validScale(logitScale)) {
      throw new IllegalArgumentException("clip scales must be positive and finite, got " + weightScale + " and " + logitScale);
    }
    float[] logits = StagedFiles.readLogits(layout, update.file(), logitScale);
    kept.add(new KeptUpload(StagedFiles.keep(update.file()), weightScale, logitScale));
    logitDeltas.add(logits);
    tasks += update.header().taskCount();
  }

  @Override
  public int updates() {
    return kept.size();
  }

  @Override
  public long tasks() {
    return tasks;
  }

  @Override
  public List<float[]> logitDeltas() {
    return List.copyOf(logitDeltas);
  }

  /** The plan {@link #result()} follows for the uploads kept so far. */
  public BlockPlan plan() {
    if (kept.isEmpty()) {
      throw new IllegalStateException("no upload was merged");
    }
    return BlockPlan.of(memoryBytes, kept.size(), layout.totalSize());
  }

  /** Bytes the last {@link #result()} allocated for its block matrix and read buffer; 0 before. */
  public long blockBytes() {
    return blockBytes;
  }

  /**
   * Applies the rule to every coordinate, one block of the plan at a time, then deletes the kept
   * files. Computed once; later calls return the same bundle.
   */
  @Override
  public Bundle result() throws IOException {
    if (result != null) {
      return result;
    }
    if (closed) {
      throw new IllegalStateException("the round's uploads were discarded");
    }
    BlockPlan plan = plan();
    int k = plan.uploads();
    int block = plan.blockSize();
    float[] matrix = new float[block * k];
    ByteBuffer bytes = ByteBuffer.allocateDirect(block * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    blockBytes = (long) matrix.length * Float.BYTES + bytes.capacity();
    float[] out = new float[layout.totalSize()];
    StagedFiles.readBlocks(
        layout,
        kept,
        bytes,
        new StagedFiles.BlockVisitor() {
          // column j of the block matrix holds upload j, so each coordinate's k values end up adjacent for the rule
          @Override
          public void run(int upload, int start, FloatBuffer values, int from, int to, float scale) {
            for (int i = from; i < to; i++) {
              matrix[i * k + upload] = scale * values.get(i);
            }
          }

          @Override
          public void blockDone(int start, int length) {
            for (int i = 0; i < length; i++) {
              out[start + i] = rule.reduce(matrix, i * k, k);
            }
          }
        });
    result = Bundle.of(layout, out);
    deleteKept();
    return result;
  }

  /** Deletes the kept uploads. */
  @Override
  public void close() {
    closed = true;
    deleteKept();
  }

  private void deleteKept() {
    StagedFiles.deleteQuietly(kept);
  }

  @Override
  public String toString() {
    return rule.toString();
  }
}
