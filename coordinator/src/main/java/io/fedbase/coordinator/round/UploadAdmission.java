package io.fedbase.coordinator.round;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.WireText;
import java.time.Instant;
import java.util.Optional;

/**
 * The checks an upload's header must pass before any of its bytes are read, as a function of the
 * header and of what the engine knows about the node and the round at that moment: membership,
 * round, selection, deadline, prior version, model, and the form the round's protocol takes.
 */
final class UploadAdmission {

  /** What admission reads about the node and the round; {@code round} is null between rounds. */
  record Facts(
      boolean removed,
      boolean joined,
      long currentRound,
      RoundPhase phase,
      OpenRound round,
      Instant now,
      String specHash,
      String roundDescription) {}

  private UploadAdmission() {}

  /**
   * Refuses {@code header}, or answers it: the receipt to send again when the node's upload of this
   * round was already accepted, empty when a new upload may start.
   */
  static Optional<Receipt> check(UpdateHeaderFields header, Facts facts) throws UpdateRejectedException {
    String node = header.nodeId();
    // the id has not been checked yet: echo it only as one bounded line
    String shown = WireText.field(node);
    if (facts.removed()) {
      throw new UpdateRejectedException(Reason.REMOVED, "node '" + shown + "' was removed from the federation by an operator");
    }
    if (!facts.joined()) {
      throw new UpdateRejectedException(Reason.UNKNOWN_NODE, "node '" + shown + "' has not joined");
    }
    if (header.round() > facts.currentRound() || facts.round() == null && header.round() == facts.currentRound()) {
      throw new UpdateRejectedException(Reason.WRONG_ROUND, "round " + header.round() + " is not open; " + facts.roundDescription());
    }
    if (header.round() < facts.currentRound() || facts.phase() != RoundPhase.COLLECTING) {
      throw new UpdateRejectedException(Reason.LATE, "round " + header.round() + " is closed; " + facts.roundDescription());
    }
    OpenRound round = facts.round();
    Receipt previous = round.accepted.get(node);
    if (previous != null) {
      return Optional.of(previous.asDuplicate());
    }
    Assignment assignment = round.assignments.get(node);
    if (assignment == null) {
      throw new UpdateRejectedException(Reason.NOT_SELECTED, "node '" + shown + "' is not a participant of round " + round.number);
    }
    if (!facts.now().isBefore(round.deadline)) {
      throw new UpdateRejectedException(Reason.LATE, "the deadline of round " + round.number + " has passed");
    }
    if (header.priorVersion() != round.priorVersion) {
      throw new UpdateRejectedException(
          Reason.STALE_VERSION,
          "the delta is against prior version " + header.priorVersion() + ", round " + round.number + " uses version " + round.priorVersion);
    }
    if (!header.specHash().equals(facts.specHash())) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "the delta belongs to model " + WireText.field(BundleLayout.shortHash(header.specHash())) + ", not " + BundleLayout.shortHash(facts.specHash()));
    }
    round.protocol.admit(header, assignment.tasks());
    if (round.merging.contains(node) || round.inProgress.containsKey(node)) {
      throw new UpdateRejectedException(Reason.IN_PROGRESS, "an upload from node '" + node + "' for round " + round.number + " is in progress");
    }
    return Optional.empty();
  }
}
