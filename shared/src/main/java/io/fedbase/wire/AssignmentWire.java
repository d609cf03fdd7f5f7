package io.fedbase.wire;

import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.proto.v1.InnerLoopSettings;
import io.fedbase.proto.v1.PrivacyAssignment;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.SecureAggregationSettings;
import io.fedbase.proto.v1.TaskShape;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.task.TaskSpec;
import java.time.Instant;
import java.util.Optional;

/** {@link Assignment} to and from its wire form, {@code RoundAssignment}: the one mapping both sides use. */
public final class AssignmentWire {

  private AssignmentWire() {}

  public static RoundAssignment toWire(Assignment a) {
    InnerLoopConfig c = a.inner();
    RoundAssignment.Builder b =
        RoundAssignment.newBuilder()
            .setRound(a.round())
            .setPriorVersion(a.priorVersion())
            .setDeadlineUnixMillis(a.deadline().toEpochMilli())
            .setTasks(a.tasks())
            .setTaskShape(
                TaskShape.newBuilder().setWays(a.taskShape().ways()).setShots(a.taskShape().shots()).setQueries(a.taskShape().queries()))
            .setInnerLoop(
                InnerLoopSettings.newBuilder()
                    .setSteps(c.steps())
                    .setWeightLr(c.weightLr())
                    .setLogitLr(c.logitLr())
                    .setLogitWeightDecay(c.logitWeightDecay())
                    .setBeta1(c.beta1())
                    .setBeta2(c.beta2())
                    .setBatchSize(c.batchSize())
                    .setRelaxation(c.relaxation().key())
                    .setAdaptLogits(c.adaptLogits())
                    .setTau(a.tau())
                    .setLogitBetaDecay(c.logitBetaDecay()))
            .setSeed(a.seed())
            .addAllParticipants(a.participants())
            .setFirstTask(a.firstTask());
    // presence marks a secure round, so the field is set only for one
    a.secure().ifPresent(t -> b.setSecureAggregation(SecureAggregationSettings.newBuilder().setThreshold(t.threshold()).setClip(t.clip())));
    a.privacy()
        .ifPresent(
            t -> b.setPrivacy(PrivacyAssignment.newBuilder().setWeightClip(t.weightClip()).setLogitClip(t.logitClip()).setNoiseStddev(t.noiseStddev())));
    return b.build();
  }

  /**
   * The assignment {@code a} carries.
   *
   * @throws IllegalArgumentException if a field is out of its range (the records' own checks)
   */
  public static Assignment fromWire(RoundAssignment a) {
    InnerLoopSettings s = a.getInnerLoop();
    return new Assignment(
        a.getRound(),
        a.getPriorVersion(),
        Instant.ofEpochMilli(a.getDeadlineUnixMillis()),
        a.getTasks(),
        new TaskSpec(a.getTaskShape().getWays(), a.getTaskShape().getShots(), a.getTaskShape().getQueries()),
        new InnerLoopConfig(
            s.getSteps(),
            s.getWeightLr(),
            s.getLogitLr(),
            s.getLogitWeightDecay(),
            s.getBeta1(),
            s.getBeta2(),
            s.getBatchSize(),
            Relaxation.fromKey(s.getRelaxation()),
            s.getAdaptLogits(),
            s.getLogitBetaDecay()),
        s.getTau(),
        a.getSeed(),
        a.getParticipantsList(),
        a.getFirstTask(),
        a.hasSecureAggregation()
            ? Optional.of(new SecureTerms(a.getSecureAggregation().getThreshold(), a.getSecureAggregation().getClip()))
            : Optional.empty(),
        a.hasPrivacy()
            ? Optional.of(new PrivacyTerms(a.getPrivacy().getWeightClip(), a.getPrivacy().getLogitClip(), a.getPrivacy().getNoiseStddev()))
            : Optional.empty());
  }
}
