package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DoubleFold;
import io.fedbase.bundle.WeightedSum;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The running task-weighted sum of one round's accepted deltas: one model-sized sum however many
 * nodes upload. The default {@link RoundAggregator}.
 *
 * <p>Uploads are folded in batches: an accepted upload's staging file is kept (renamed, no copy)
 * until {@code batch} of them wait or the result is asked for, and then all of them are folded
 * together, block by block of the model. The sum is kept in double (see {@link WeightedSum}), so
 * folding one upload at a time streams 16 bytes of sum through memory for every 4 bytes of delta;
 * with the batch's uploads read into the same cache-sized block of the sum, the sum moves once per
 * batch instead (BENCHMARKS §5 measures the batch sizes). At most {@code batch} staging files wait on
 * disk, and the commit folds at most {@code batch} of them.
 *
 * <p>A read error while folding a batch leaves part of the batch in the sum: the aggregate is then
 * broken, and that and every later {@link #merge} or {@link #result()} throws, so the round fails
 * with its prior untouched rather than commit a partial sum.
 */
public final class RoundAggregate implements RoundAggregator {

  /** Uploads folded together unless configured: beyond 8 the gain is within noise (BENCHMARKS §5). */
  public static final int DEFAULT_BATCH = 8;

  /**
   * Coordinates per block of a batched fold: 128 KiB of double sum plus the 64 KiB read buffer and
   * the sum's 32 KiB scratch stay in a core's L2 cache while every upload of the batch is added.
   */
  static final int BLOCK = 16_384;

  private final BundleLayout layout;
  private final boolean taskWeighted;
  private final int batch;
  private final WeightedSum sum;
  private final List<Waiting> waiting = new ArrayList<>();
  private final List<float[]> logitDeltas = new ArrayList<>();
  private long tasks;
  private String broken;
  private boolean discarded;

  /** Allocated on the first fold, reused for every block of the round. */
  private ByteBuffer block;

  /** A kept upload waiting for its batch, with its weight in the mean. */
  private record Waiting(KeptUpload upload, double weight) {}

  /** The task-weighted mean. */
  public RoundAggregate(BundleLayout layout) {
    this(layout, true);
  }

  /** The mean weighted by task counts, or ({@code taskWeighted} false) with every upload alike. */
  public RoundAggregate(BundleLayout layout, boolean taskWeighted) {
    this(layout, taskWeighted, DEFAULT_BATCH);
  }

  /** As {@link #RoundAggregate(BundleLayout, boolean)}, folding {@code batch} uploads together. */
  public RoundAggregate(BundleLayout layout, boolean taskWeighted, int batch) {
    this(layout, taskWeighted, batch, DoubleFold.fastest());
  }

  /** As {@link #RoundAggregate(BundleLayout, boolean, int)}, adding with {@code fold}. */
  public RoundAggregate(BundleLayout layout, boolean taskWeighted, int batch, DoubleFold fold) {
    if (batch < 1) {
      throw new IllegalArgumentException("the fold batch must hold at least one upload, got " + batch);
    }
    this.layout = layout;
    this.taskWeighted = taskWeighted;
    this.batch = batch;
    this.sum = new WeightedSum(layout, fold);
  }

  /**
   * Accepts a validated upload with its task count as weight, the weight part scaled by {@code
   * weightScale} and the logit part by {@code logitScale} (norm clipping): reads its logit part
   * (for search health), takes its staging file over, and folds the batch if it is full. An I/O
   * error before the file is taken leaves it with the caller and the aggregate unchanged; one while
   * folding breaks the aggregate (see the class comment).
   */
  @Override
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    requireIntact();
    int n = layout.totalSize();
    if (update.values() != n) {
      throw new IOException("staged upload " + update.file().getFileName() + " holds " + update.values() + " values, the model " + n);
    }
    if (!StagedFiles.validScale(weightScale) || !StagedFiles.validScale(logitScale)) {
      throw new IllegalArgumentException("clip scales must be positive and finite, got " + weightScale + " and " + logitScale);
    }
    float[] logits = StagedFiles.readLogits(layout, update.file(), logitScale);
    double weight = taskWeighted ? update.header().taskCount() : 1;
    waiting.add(new Waiting(new KeptUpload(StagedFiles.keep(update.file()), weightScale, logitScale), weight));
    logitDeltas.add(logits);
    tasks += update.header().taskCount();
    if (waiting.size() >= batch) {
      foldWaiting();
    }
  }

  private void requireIntact() throws IOException {
    if (discarded) {
      throw new IllegalStateException("the round's waiting uploads were discarded");
    }
    if (broken != null) {
      throw new IOException("the round's sum is incomplete since a staged upload could not be read back: " + broken);
    }
  }

  /**
   * Adds every waiting upload to the sum, one block of coordinates at a time so the block of the
   * sum stays in cache across the batch, then deletes their files.
   */
  private void foldWaiting() throws IOException {
    if (waiting.isEmpty()) {
      return;
    }
    if (block == null) {
      block = ByteBuffer.allocateDirect(Math.min(BLOCK, layout.totalSize()) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
    List<KeptUpload> uploads = waitingUploads();
    try {
      StagedFiles.readBlocks(
          layout,
          uploads,
          block,
          (upload, start, values, from, to, scale) ->
              sum.addSlice(start + from, values.duplicate().position(from).limit(to), waiting.get(upload).weight() * scale));
    } catch (IOException e) {
      broken = e.getMessage();
      throw e;
    } finally {
      StagedFiles.deleteQuietly(uploads);
    }
    for (Waiting w : waiting) {
      sum.added(w.weight());
    }
    waiting.clear();
  }

  private List<KeptUpload> waitingUploads() {
    return waiting.stream().map(Waiting::upload).toList();
  }

  /** The logit values of each merged update (a few hundred floats each), for search health. */
  @Override
  public List<float[]> logitDeltas() {
    return List.copyOf(logitDeltas);
  }

  /** Updates merged so far, folded or waiting. */
  @Override
  public int updates() {
    return sum.count() + waiting.size();
  }

  /** Tasks behind the merged updates. */
  @Override
  public long tasks() {
    return tasks;
  }

  /** The task-weighted mean delta, after folding whatever waits. */
  @Override
  public Bundle result() throws IOException {
    requireIntact();
    foldWaiting();
    return sum.result();
  }

  /**
   * Deletes the staging files still waiting for a batch; idempotent. A result already computed stays
   * available; one that would have needed the discarded uploads is refused.
   */
  @Override
  public void close() {
    if (!waiting.isEmpty()) {
      StagedFiles.deleteQuietly(waitingUploads());
      discarded = true;
    }
  }

  /** As manifests record it: the method's name, or that task counts were ignored. */
  @Override
  public String toString() {
    return taskWeighted ? "mean" : "mean-unweighted";
  }
}
