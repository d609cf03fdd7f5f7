package io.fedbase.coordinator.transport;

import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.round.CoordinatorStatus;
import io.fedbase.coordinator.round.Receipt;
import io.fedbase.coordinator.round.RoundPhase;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.proto.v1.ModelSpec;
import io.fedbase.proto.v1.PrivacyStatus;
import io.fedbase.proto.v1.RoundOutcome;
import io.fedbase.proto.v1.RoundState;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.proto.v1.TensorSpec;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.space.SupernetSpec;

/** Protobuf messages to and from the coordinator's domain types; no decisions are made here. */
final class ProtoMapping {

  private ProtoMapping() {}

  static ModelSpec model(SupernetSpec spec) {
    ModelSpec.Builder b = ModelSpec.newBuilder().setCanonicalText(spec.canonicalText()).setSpecHash(spec.hash());
    for (io.fedbase.space.TensorSpec t : spec.tensors()) {
      TensorSpec.Builder tb = TensorSpec.newBuilder().setName(t.name()).setLogits(t.logits());
      for (int d : t.shape()) {
        tb.addShape(d);
      }
      b.addTensors(tb);
    }
    return b.build();
  }

  static RoundState state(RoundPhase phase) {
    return switch (phase) {
      case WAITING -> RoundState.ROUND_STATE_WAITING;
      case COLLECTING -> RoundState.ROUND_STATE_COLLECTING;
      case COMMITTING -> RoundState.ROUND_STATE_COMMITTING;
      case STOPPED -> RoundState.ROUND_STATE_UNSPECIFIED;
    };
  }

  /**
   * The header's fields, its unsigned ones read as unsigned: a uint64 of 2^63 or more (a negative
   * long in Java) or a uint32 task count of 2^31 or more is no round, version, size or count
   * fedbase could mean.
   */
  static UpdateHeaderFields header(UpdateHeader h) throws UpdateRejectedException {
    requireUnsigned("round", h.getRound());
    requireUnsigned("prior_version", h.getPriorVersion());
    requireUnsigned("payload_bytes", h.getPayloadBytes());
    requireUnsigned("task_count", h.getTaskCount());
    return new UpdateHeaderFields(
        h.getRound(),
        h.getNodeId(),
        h.getPriorVersion(),
        h.getTaskCount(),
        h.getSpecHash(),
        DeltaEncoding.fromWireNumber(h.getEncodingValue()),
        h.getPayloadBytes(),
        h.getSupportLossBefore(),
        h.getSupportLossAfter(),
        h.getQueryAccuracy());
  }

  private static void requireUnsigned(String field, long value) throws UpdateRejectedException {
    if (value < 0) {
      throw new UpdateRejectedException(
          UpdateRejectedException.Reason.MALFORMED, "the header's " + field + " of " + Long.toUnsignedString(value) + " is out of range");
    }
  }

  private static void requireUnsigned(String field, int value) throws UpdateRejectedException {
    if (value < 0) {
      throw new UpdateRejectedException(
          UpdateRejectedException.Reason.MALFORMED, "the header's " + field + " of " + Integer.toUnsignedString(value) + " is out of range");
    }
  }

  static UpdateReceipt receipt(Receipt r) {
    return UpdateReceipt.newBuilder()
        .setRound(r.round())
        .setDuplicate(r.duplicate())
        .setAcceptedInRound(r.acceptedInRound())
        .build();
  }

  static StatusResponse status(CoordinatorStatus s) {
    StatusResponse.Builder b =
        StatusResponse.newBuilder()
            .setRound(s.round())
            .setState(state(s.phase()))
            .setPriorVersion(s.priorVersion())
            .setSpecHash(s.specHash())
            .addAllConnectedNodes(s.connectedNodes())
            .setTargetRounds(s.targetRounds())
            .setGenotype(s.genotype())
            .setPaused(s.controls().paused())
            .addAllRemovedNodes(new java.util.TreeSet<>(s.controls().removedNodes()));
    s.privacy().ifPresent(p -> b.setPrivacy(privacy(p)));
    for (io.fedbase.coordinator.round.RoundOutcome o : s.recentRounds()) {
      b.addRecentRounds(
          RoundOutcome.newBuilder()
              .setRound(o.round())
              .setCommitted(o.committed())
              .setReason(o.reason())
              .setAcceptedUpdates(o.acceptedUpdates())
              .setTasks((int) o.tasks())
              .setPriorVersion(o.priorVersion())
              .setSeconds(o.seconds())
              .setSupportLossAfter(o.supportLossAfter())
              .setQueryAccuracy(o.queryAccuracy()));
    }
    return b.build();
  }

  static PrivacyStatus privacy(PrivacyReport p) {
    return PrivacyStatus.newBuilder()
        .setMode(p.mode())
        .setEpsilon(p.epsilon())
        .setDelta(p.delta())
        .setOrder(Double.isNaN(p.order()) ? 0 : p.order())
        .setBudgetEpsilon(p.budgetEpsilon() == null ? 0 : p.budgetEpsilon())
        .setNoiseMultiplier(p.noiseMultiplier())
        .setSamplingRate(p.samplingRate())
        .setWeightClip(p.weightClip())
        .setLogitClip(p.logitClip())
        .setRounds(p.rounds())
        .build();
  }

  static io.fedbase.proto.v1.AdminState adminState(io.fedbase.coordinator.store.OperatorControls c) {
    return io.fedbase.proto.v1.AdminState.newBuilder()
        .setPaused(c.paused())
        .setPauseReason(c.pauseReason())
        .addAllRemovedNodes(new java.util.TreeSet<>(c.removedNodes()))
        .build();
  }
}
