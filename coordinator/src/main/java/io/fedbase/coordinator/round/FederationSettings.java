package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.encoding.DeltaEncoding;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.learn.Schedule;
import io.fedbase.task.TaskSpec;

/**
 * What the coordinator asks of nodes, round after round.
 *
 * @param policy when rounds open and commit
 * @param tasksPerNode tasks each selected node adapts to per round
 * @param tasks n-way k-shot shape of those tasks
 * @param inner inner-loop settings sent with every assignment
 * @param tau Gumbel temperature schedule over the committed rounds
 * @param scheduleRounds the horizon the schedules (temperature, meta step) run over
 * @param warmupRounds committed rounds at the start in which logits stay frozen
 * @param seed seed of the nodes' task sampling and Gumbel noise
 * @param targetRounds committed rounds after which the coordinator stops; 0 = runs until stopped
 * @param normBound bounds on each upload's weight and logit norms (clip or refuse)
 * @param acceptedEncodings upload encodings nodes may choose from (never empty)
 * @param aggregation how a round's uploads are combined (weighted mean, or a robust rule)
 */
public record FederationSettings(
    RoundPolicy policy,
    int tasksPerNode,
    TaskSpec tasks,
    InnerLoopConfig inner,
    Schedule tau,
    int scheduleRounds,
    int warmupRounds,
    long seed,
    long targetRounds,
    NormBound normBound,
    Set<DeltaEncoding> acceptedEncodings,
    AggregationMethod aggregation) {

  public FederationSettings {
    if (tasksPerNode < 1) {
      throw new IllegalArgumentException("--tasks-per-node must be at least 1, got " + tasksPerNode);
    }
    if (scheduleRounds < 1) {
      throw new IllegalArgumentException("the schedule horizon must be at least 1 round, got " + scheduleRounds);
    }
    if (targetRounds < 0) {
      throw new IllegalArgumentException("--rounds must not be negative, got " + targetRounds);
    }
    if (acceptedEncodings.isEmpty()) {
      throw new IllegalArgumentException("accept at least one upload encoding");
    }
    acceptedEncodings = Set.copyOf(acceptedEncodings);
    Objects.requireNonNull(aggregation, "aggregation");
  }

  /** The same settings accepting every upload encoding, aggregating with the task-weighted mean. */
  public FederationSettings(
      RoundPolicy policy,
      int tasksPerNode,
      TaskSpec tasks,
      InnerLoopConfig inner,
      Schedule tau,
      int scheduleRounds,
      int warmupRounds,
      long seed,
      long targetRounds,
      NormBound normBound) {
    this(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, EnumSet.allOf(DeltaEncoding.class), AggregationMethod.weightedMean());
  }

  /** These settings accepting only {@code encodings} for uploads. */
  public FederationSettings withAcceptedEncodings(Set<DeltaEncoding> encodings) {
    return new FederationSettings(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, encodings, aggregation);
  }

  /** These settings combining each round's uploads with {@code method}. */
  public FederationSettings withAggregation(AggregationMethod method) {
    return new FederationSettings(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, acceptedEncodings, method);
  }

  /** The same settings without norm bounds. */
  public FederationSettings(
      RoundPolicy policy, int tasksPerNode, TaskSpec tasks, InnerLoopConfig inner, Schedule tau, int scheduleRounds, int warmupRounds, long seed, long targetRounds) {
    this(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, NormBound.none());
  }

  /** Temperature of the round that starts from prior version {@code version}. */
  public float tauAt(long version) {
    return (float) tau.at(scheduleIndex(version), scheduleRounds);
  }

  /** Index into the schedules for prior version {@code version} (clamped at the horizon). */
  public int scheduleIndex(long version) {
    return (int) Math.min(version, scheduleRounds - 1);
  }
}
