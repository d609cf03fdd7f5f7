package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Schedule;
import io.fedbase.task.TaskSpec;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
 * @param secureAggregation present when rounds are securely aggregated (the coordinator sees only
 *     the sum; not combinable with a robust rule, which needs every single upload)
 * @param privacy present when the federation is differentially private (the task-weighted mean
 *     becomes the unweighted mean of clipped deltas; not combinable with a robust rule)
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
    AggregationMethod aggregation,
    Optional<SecureAggregationSettings> secureAggregation,
    Optional<PrivacySettings> privacy) {

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
    if (acceptedEncodings.stream().anyMatch(DeltaEncoding::masked)) {
      throw new IllegalArgumentException("the masked ring is for secure rounds only, not an encoding to accept");
    }
    acceptedEncodings = Set.copyOf(acceptedEncodings);
    Objects.requireNonNull(aggregation, "aggregation");
    if (privacy.isPresent() && aggregation instanceof AggregationMethod.Robust) {
      throw new IllegalArgumentException(
          "differential privacy cannot be combined with --aggregation " + aggregation + ": its noise is calibrated to a sum of clipped deltas");
    }
    if (privacy.isPresent() && privacy.get().delta() >= 1.0 / policy.minNodes()) {
      throw new IllegalArgumentException(
          "--dp-delta " + privacy.get().delta() + " is not well below 1 / " + policy.minNodes()
              + " (--min-nodes): a delta that large allows giving away one node's data outright");
    }
    if (privacy.isPresent() && privacy.get().hasBudget() && privacy.get().projected(1).epsilon() > privacy.get().budgetEpsilon()) {
      throw new IllegalArgumentException(
          "a single round already costs epsilon " + privacy.get().projected(1).epsilon() + ", more than --dp-budget " + privacy.get().budgetEpsilon());
    }
    if (secureAggregation.isPresent()) {
      if (aggregation instanceof AggregationMethod.Robust) {
        throw new IllegalArgumentException(
            "secure aggregation cannot be combined with --aggregation " + aggregation + ": the coordinator sees only the sum, never the single uploads a robust rule needs");
      }
      if (policy.minNodes() < 2) {
        throw new IllegalArgumentException("secure aggregation needs rounds of at least 2 nodes (--min-nodes 2 or more)");
      }
    }
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
    this(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, EnumSet.copyOf(DeltaEncoding.choosable()), AggregationMethod.weightedMean(), Optional.empty(), Optional.empty());
  }

  /** These settings accepting only {@code encodings} for uploads. */
  public FederationSettings withAcceptedEncodings(Set<DeltaEncoding> encodings) {
    return new FederationSettings(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, encodings, aggregation, secureAggregation, privacy);
  }

  /** These settings combining each round's uploads with {@code method}. */
  public FederationSettings withAggregation(AggregationMethod method) {
    return new FederationSettings(policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, acceptedEncodings, method, secureAggregation, privacy);
  }

  /** These settings with every round securely aggregated as {@code secure} says. */
  public FederationSettings withSecureAggregation(SecureAggregationSettings secure) {
    return new FederationSettings(
        policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, acceptedEncodings, aggregation, Optional.of(secure), privacy);
  }

  /** These settings with client-level differential privacy as {@code dp} says. */
  public FederationSettings withPrivacy(PrivacySettings dp) {
    return new FederationSettings(
        policy, tasksPerNode, tasks, inner, tau, scheduleRounds, warmupRounds, seed, targetRounds, normBound, acceptedEncodings, aggregation, secureAggregation, Optional.of(dp));
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
