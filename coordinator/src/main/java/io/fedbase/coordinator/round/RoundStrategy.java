package io.fedbase.coordinator.round;

import io.fedbase.bundle.Bundle;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a federation runs its rounds: the one seam for an algorithm, in the spirit of Flower's
 * {@code Strategy}. {@link #configure} decides who takes part and with which instructions, and
 * which protocol collects their uploads; {@link #aggregate} turns what the protocol collected into
 * the round's delta, or says why there is nothing to commit. Plain and robust aggregation, secure
 * aggregation and differential privacy are implementations and decorators of it; the round engine
 * never branches on which one runs.
 *
 * <p>{@link #aggregate} and {@link #committed} run on the commit's thread without the engine's lock,
 * while no round collects; {@link #privacy} may be read meanwhile. Everything else is called under
 * the engine's lock.
 */
public interface RoundStrategy {

  /** Why no further round may open (a spent privacy budget), if so; the federation then stops. */
  default Optional<String> exhausted() {
    return Optional.empty();
  }

  /** The connected nodes that take part in the next round: all of them, or a sample. */
  default List<String> sample(List<String> connected) {
    return connected;
  }

  /** The fewest participants a round of this strategy can run with, whatever the quorum. */
  default int minimumParticipants() {
    return 1;
  }

  /** Each participant's instructions, and the protocol that collects their uploads. */
  RoundPlan configure(RoundSetup setup);

  /**
   * How much of a validated upload enters the aggregate: the factors its weight and logit parts
   * are scaled by (norm clipping; 1 leaves them as sent), or a refusal.
   */
  UploadScales scales(StagedUpdate upload) throws UpdateRejectedException;

  /**
   * The round's delta and what to record with it, or why it must not be committed; called once its
   * protocol completed with a quorum.
   */
  Aggregate aggregate(RoundResult result) throws IOException;

  /** {@code aggregate}, the outcome of {@code result}, was committed as a new prior version. */
  default void committed(RoundResult result, Aggregate.Delta aggregate) {}

  /**
   * Restores what the strategy accounts across rounds (a privacy ledger) when the coordinator
   * resumes at {@code version} of {@code store}.
   */
  default void restore(long version, CheckpointStore store) throws IOException {}

  /** What the committed rounds have cost in privacy, in a private federation. */
  default Optional<PrivacyReport> privacy() {
    return Optional.empty();
  }

  /** The scale factors of one upload's weight and logit parts. */
  record UploadScales(float weight, float logit) {}

  /**
   * A round whose collection and protocol have ended.
   *
   * @param round the round's number
   * @param aggregator what its uploads were merged into
   * @param selected how many nodes were assigned work
   * @param uploads the uploads merged, as the manifest records them
   */
  record RoundResult(long round, RoundAggregator aggregator, int selected, List<CommitManifest.Upload> uploads) {
    public RoundResult {
      uploads = List.copyOf(uploads);
    }
  }

  /** What {@link #aggregate} decided. */
  sealed interface Aggregate {

    /**
     * A delta to apply.
     *
     * @param delta the aggregated delta
     * @param method how it was aggregated, for logs and the manifest
     * @param metadata what to record in the prior file
     * @param privacy what the prior costs in privacy once this round is committed; null if not private
     */
    record Delta(Bundle delta, String method, Map<String, String> metadata, PrivacyReport privacy) implements Aggregate {
      public Delta {
        metadata = Map.copyOf(metadata);
      }
    }

    /** Nothing to commit, and why; the prior stays as it is. */
    record Nothing(String reason) implements Aggregate {}

    /** The round's aggregator's result as its delta, with nothing else to record. */
    static Delta asIs(RoundResult result) throws IOException {
      return new Delta(result.aggregator().result(), result.aggregator().toString(), Map.of(), null);
    }
  }
}
