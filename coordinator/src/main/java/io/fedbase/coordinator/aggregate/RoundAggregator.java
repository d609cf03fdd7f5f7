package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import java.io.IOException;
import java.util.List;

/**
 * How one round's accepted uploads become the delta the meta-update applies (the mean, a robust
 * rule, a secure sum), so the round logic never branches on the aggregation rule. One aggregator
 * per round, chosen by the round's strategy; {@link AggregationMethod#open} makes the plain ones.
 *
 * <p>Ownership of staged files: once {@link #merge} returns, the upload's staging file belongs to
 * the aggregator, which moves it aside and keeps it until it is folded in (the weighted mean, in
 * batches) or until {@link #result()} or {@link #close()} (the robust rules); the caller may still
 * delete the original path, it no longer names anything. If {@link #merge} throws, the file is still
 * the caller's and the aggregate is unchanged — unless the aggregator could not read back uploads
 * it had already taken, which leaves it broken: then every later {@link #merge} and {@link
 * #result()} throws, and the round fails.
 *
 * <p>Not thread-safe: the round engine serializes merges, and reads the result only once no merge
 * is left.
 */
public interface RoundAggregator extends AutoCloseable {

  /**
   * Accepts a validated upload, its weight part scaled by {@code weightScale} and its logit part by
   * {@code logitScale} (norm clipping; 1 leaves it as sent).
   */
  void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException;

  /** {@link #merge(StagedUpdate, float, float)} without clipping. */
  default void merge(StagedUpdate update) throws IOException {
    merge(update, 1f, 1f);
  }

  /** Uploads merged so far. */
  int updates();

  /** Tasks behind the merged uploads (for task-weighted round statistics whatever the rule). */
  long tasks();

  /** The (clipped) logit values of each merged upload in merge order, for search health. */
  List<float[]> logitDeltas();

  /** The round's aggregate delta; throws {@link IllegalStateException} if nothing was merged. */
  Bundle result() throws IOException;

  /** Deletes whatever the aggregator still keeps on disk; idempotent. */
  @Override
  void close();
}
