package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.AggregationProtocol;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.wire.Assignment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * The round being collected: its plan, what arrived so far, and its timer. Guarded by the engine's
 * lock, except the aggregator, which merges under {@link #mergeLock} and is read by the commit once
 * collection has ended and no merge is left.
 */
final class OpenRound {
  final long number;
  final long priorVersion;
  final Instant deadline;
  final Map<String, Assignment> assignments;
  /** How the round's uploads become its aggregate: in the clear or securely. */
  final AggregationProtocol protocol;
  /** Where uploads are merged: the protocol's aggregator, with noise added to its result in a private federation. */
  final RoundAggregator aggregate;
  final Instant opened;
  final Map<String, Receipt> accepted = new HashMap<>();
  /** Nodes whose upload is streaming, each with the way to cut it off (revoked, removed). */
  final Map<String, Consumer<String>> inProgress = new HashMap<>();
  /** Nodes whose complete upload is being merged outside the engine's lock. */
  final Set<String> merging = new HashSet<>();
  /** Collection ended while uploads were merging: it is finished by the last merge to complete. */
  boolean endCollectionWhenMerged;
  /** The round is being committed or failed off the engine's lock; nothing may close its aggregate meanwhile. */
  boolean concluding;
  /** Serializes merges into the round's aggregator, which is not thread-safe, without the engine's lock. */
  final Object mergeLock = new Object();
  /** Selected nodes whose lease expired while disconnected. */
  final Set<String> lapsed = new HashSet<>();
  final List<CommitManifest.Upload> uploads = new ArrayList<>();
  double lossAfter;
  double accuracy;
  ScheduledFuture<?> deadlineTimer;

  OpenRound(
      long number,
      long priorVersion,
      Instant deadline,
      Map<String, Assignment> assignments,
      AggregationProtocol protocol,
      RoundAggregator aggregate,
      Instant opened) {
    this.number = number;
    this.priorVersion = priorVersion;
    this.deadline = deadline;
    this.assignments = assignments;
    this.protocol = protocol;
    this.aggregate = aggregate;
    this.opened = opened;
  }
}
