package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.InvalidSettingException;
import io.fedbase.meta.Schedule;
import io.fedbase.task.TaskSpec;
import java.util.EnumSet;
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
 * @param maxRelativeChange the largest L2 change of the prior one round may make, relative to the
 *     prior's L2 norm; a round that would move it further fails and the prior stays (a guard
 *     against outliers and attacks that stay finite; private rounds, whose uploads are always
 *     clipped, are exempt, since their calibrated noise may rightly move a small prior far)
 * @param outlierRatio an upload in the clear whose L2 norm is more than this many times the median
 *     of the uploads merged in the recent rounds is refused (infinity: no such guard)
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
    Optional<PrivacySettings> privacy,
    double maxRelativeChange,
    double outlierRatio) {

  public FederationSettings {
    if (!(maxRelativeChange > 0)) {
      throw new InvalidSettingException("maxRelativeChange", "must be positive, got " + maxRelativeChange);
    }
    if (!(outlierRatio > 1)) {
      throw new InvalidSettingException("outlierRatio", "must be more than 1 (Infinity turns the guard off), got " + outlierRatio);
    }
    if (policy == null) {
      throw new InvalidSettingException("policy", "must be set");
    }
    if (tasks == null) {
      throw new InvalidSettingException("tasks", "must be set");
    }
    if (tasksPerNode < 1) {
      throw new InvalidSettingException("tasksPerNode", "must be at least 1, got " + tasksPerNode);
    }
    if (scheduleRounds < 1) {
      throw new InvalidSettingException("scheduleRounds", "must be at least 1 round, got " + scheduleRounds);
    }
    if (warmupRounds < 0) {
      throw new InvalidSettingException("warmupRounds", "must not be negative, got " + warmupRounds);
    }
    if (targetRounds < 0) {
      throw new InvalidSettingException("targetRounds", "must not be negative, got " + targetRounds);
    }
    if (acceptedEncodings.isEmpty()) {
      throw new InvalidSettingException("acceptedEncodings", "must hold at least one encoding");
    }
    if (acceptedEncodings.stream().anyMatch(DeltaEncoding::masked)) {
      throw new InvalidSettingException("acceptedEncodings", "must not hold the masked ring, which is for secure rounds only");
    }
    acceptedEncodings = Set.copyOf(acceptedEncodings);
    if (aggregation == null) {
      throw new InvalidSettingException("aggregation", "must be set");
    }
    if (privacy.isPresent() && aggregation instanceof AggregationMethod.Robust) {
      throw new InvalidSettingException(
          "aggregation", aggregation + " cannot be combined with differential privacy: its noise is calibrated to a sum of clipped deltas");
    }
    if (privacy.isPresent() && privacy.get().delta() >= 1.0 / policy.minNodes()) {
      throw new InvalidSettingException(
          "privacy.delta",
          privacy.get().delta() + " is not well below 1 / " + policy.minNodes()
              + " (one over the nodes a round needs): a delta that large allows giving away one node's data outright");
    }
    if (privacy.isPresent() && privacy.get().hasBudget() && privacy.get().projected(1).epsilon() > privacy.get().budgetEpsilon()) {
      throw new InvalidSettingException(
          "privacy.budgetEpsilon",
          privacy.get().budgetEpsilon() + " is less than what a single round already costs, epsilon " + privacy.get().projected(1).epsilon());
    }
    if (secureAggregation.isPresent()) {
      if (aggregation instanceof AggregationMethod.Robust) {
        throw new InvalidSettingException(
            "aggregation",
            aggregation + " cannot be combined with secure aggregation: the coordinator sees only the sum, never the single uploads a robust rule needs");
      }
      if (policy.minNodes() < 2) {
        throw new InvalidSettingException("policy.minNodes", "must be at least 2 for secure aggregation, got " + policy.minNodes());
      }
    }
  }

  /** A builder with every setting but the policy and the task shape at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder()
        .setPolicy(policy)
        .optTasksPerNode(tasksPerNode)
        .setTasks(tasks)
        .optInner(inner)
        .optTau(tau)
        .optScheduleRounds(scheduleRounds)
        .optWarmupRounds(warmupRounds)
        .optSeed(seed)
        .optTargetRounds(targetRounds)
        .optNormBound(normBound)
        .optAcceptedEncodings(acceptedEncodings)
        .optAggregation(aggregation)
        .optSecureAggregation(secureAggregation)
        .optPrivacy(privacy)
        .optMaxRelativeChange(maxRelativeChange)
        .optOutlierRatio(outlierRatio);
  }

  /**
   * Builder in DJL's style: {@code setX} values are required, {@code optX} have their defaults
   * here; {@link #build()} validates and throws {@link InvalidSettingException} naming the setting.
   */
  public static final class Builder {
    private RoundPolicy policy;
    private TaskSpec tasks;
    private int tasksPerNode = 2;
    private InnerLoopConfig inner = InnerLoopConfig.defaults();
    private Schedule tau = Schedule.linear(1.0, 0.3);
    private int scheduleRounds = 200;
    private int warmupRounds = 0;
    private long seed = 0;
    private long targetRounds = 0;
    private NormBound normBound = NormBound.none();
    private Set<DeltaEncoding> acceptedEncodings = EnumSet.copyOf(DeltaEncoding.choosable());
    private AggregationMethod aggregation = AggregationMethod.weightedMean();
    private Optional<SecureAggregationSettings> secureAggregation = Optional.empty();
    private Optional<PrivacySettings> privacy = Optional.empty();
    private double maxRelativeChange = 1.0;
    private double outlierRatio = 10.0;

    private Builder() {}

    /**
     * How many times the recent uploads' median norm an upload may have (default 10: honest deltas
     * of one federation lie within a small factor of each other; infinity turns the guard off).
     */
    public Builder optOutlierRatio(double ratio) {
      this.outlierRatio = ratio;
      return this;
    }

    /**
     * The largest change of the prior one round may make, relative to its norm (default 1: no
     * healthy meta-step comes near it; infinity turns the guard off).
     */
    public Builder optMaxRelativeChange(double ratio) {
      this.maxRelativeChange = ratio;
      return this;
    }

    /** When rounds open and commit (required). */
    public Builder setPolicy(RoundPolicy policy) {
      this.policy = policy;
      return this;
    }

    /** The n-way k-shot shape of the nodes' tasks (required). */
    public Builder setTasks(TaskSpec tasks) {
      this.tasks = tasks;
      return this;
    }

    /** Tasks each selected node adapts to per round (default 2). */
    public Builder optTasksPerNode(int n) {
      this.tasksPerNode = n;
      return this;
    }

    /** Inner-loop settings sent with every assignment (default {@link InnerLoopConfig#defaults()}). */
    public Builder optInner(InnerLoopConfig inner) {
      this.inner = inner;
      return this;
    }

    /** Gumbel temperature over the committed rounds (default linear from 1.0 to 0.3). */
    public Builder optTau(Schedule tau) {
      this.tau = tau;
      return this;
    }

    /** The horizon the schedules run over (default 200 rounds). */
    public Builder optScheduleRounds(int rounds) {
      this.scheduleRounds = rounds;
      return this;
    }

    /** Committed rounds at the start in which the logits stay frozen (default 0). */
    public Builder optWarmupRounds(int rounds) {
      this.warmupRounds = rounds;
      return this;
    }

    /** Seed of the nodes' task sampling and Gumbel noise (default 0). */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Committed rounds after which the coordinator stops; 0 runs until stopped (default). */
    public Builder optTargetRounds(long rounds) {
      this.targetRounds = rounds;
      return this;
    }

    /** Bounds on each upload's weight and logit norms (default none). */
    public Builder optNormBound(NormBound bound) {
      this.normBound = bound;
      return this;
    }

    /** Upload encodings nodes may choose from (default every choosable one). */
    public Builder optAcceptedEncodings(Set<DeltaEncoding> encodings) {
      this.acceptedEncodings = encodings;
      return this;
    }

    /** How a round's uploads are combined (default the task-weighted mean). */
    public Builder optAggregation(AggregationMethod method) {
      this.aggregation = method;
      return this;
    }

    /** Secure aggregation of every round (default off). */
    public Builder optSecureAggregation(SecureAggregationSettings secure) {
      return optSecureAggregation(Optional.of(secure));
    }

    /** Secure aggregation of every round, or off when empty (default off). */
    public Builder optSecureAggregation(Optional<SecureAggregationSettings> secure) {
      this.secureAggregation = secure;
      return this;
    }

    /** Client-level differential privacy (default off). */
    public Builder optPrivacy(PrivacySettings dp) {
      return optPrivacy(Optional.of(dp));
    }

    /** Client-level differential privacy, or off when empty (default off). */
    public Builder optPrivacy(Optional<PrivacySettings> dp) {
      this.privacy = dp;
      return this;
    }

    public FederationSettings build() {
      return new FederationSettings(
          policy,
          tasksPerNode,
          tasks,
          inner,
          tau,
          scheduleRounds,
          warmupRounds,
          seed,
          targetRounds,
          normBound,
          acceptedEncodings,
          aggregation,
          secureAggregation,
          privacy,
          maxRelativeChange,
          outlierRatio);
    }
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
