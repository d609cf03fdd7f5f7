package io.fedbase.cli.option;

import io.fedbase.meta.InvalidSettingException;
import java.util.Map;
import java.util.Optional;

/**
 * The flag that sets each library setting, so an {@link InvalidSettingException} reaches the user
 * in the words they typed: the library names its settings, the command line names its flags.
 */
public final class SettingFlags {

  private static final Map<String, String> FLAGS =
      Map.ofEntries(
          Map.entry("tasksPerNode", "--tasks-per-node"),
          Map.entry("scheduleRounds", "--schedule-rounds"),
          Map.entry("warmupRounds", "--warmup-rounds"),
          Map.entry("targetRounds", "--rounds"),
          Map.entry("acceptedEncodings", "--accept-encodings"),
          Map.entry("aggregation", "--aggregation"),
          Map.entry("maxRelativeChange", "--max-prior-change"),
          Map.entry("outlierRatio", "--outlier-ratio"),
          Map.entry("policy.minNodes", "--min-nodes"),
          Map.entry("policy.quorum", "--quorum"),
          Map.entry("policy.deadline", "--round-deadline"),
          Map.entry("secureAggregation.thresholdFraction", "--secagg-threshold"),
          Map.entry("secureAggregation.clip", "--secagg-clip"),
          Map.entry("privacy.noiseMultiplier", "--dp-noise-multiplier"),
          Map.entry("privacy.sampleRate", "--sample-rate"),
          Map.entry("privacy.weightClip", "--dp-weight-clip"),
          Map.entry("privacy.logitClip", "--dp-logit-clip"),
          Map.entry("maxConcurrentUploads", "--max-concurrent-uploads"),
          Map.entry("privacy.delta", "--dp-delta"),
          Map.entry("privacy.budgetEpsilon", "--dp-budget"),
          Map.entry("inner.steps", "--inner-steps"),
          Map.entry("inner.weightLr", "--inner-lr"),
          Map.entry("inner.logitLr", "--logit-lr"),
          Map.entry("inner.logitWeightDecay", "--logit-weight-decay"),
          Map.entry("inner.logitBetaDecay", "--logit-beta-decay"),
          Map.entry("inner.batchSize", "--batch"),
          Map.entry("training.epochs", "--epochs"),
          Map.entry("training.batch", "--batch"),
          Map.entry("training.learningRate", "--lr"),
          Map.entry("training.minLearningRate", "--min-lr"),
          Map.entry("training.momentum", "--momentum"),
          Map.entry("training.weightDecay", "--weight-decay"),
          Map.entry("training.gradClip", "--grad-clip"),
          Map.entry("training.dropPath", "--drop-path"),
          Map.entry("training.cutout", "--cutout"),
          Map.entry("holdout", "--holdout"),
          Map.entry("rounds", "--rounds"),
          Map.entry("device", "--device"));

  private SettingFlags() {}

  /** The flag for {@code setting}, if a command has one. */
  public static Optional<String> flagFor(String setting) {
    return Optional.ofNullable(FLAGS.get(setting));
  }

  /** The error in the command line's words: "--tasks-per-node must be at least 1, got 0". */
  public static String describe(InvalidSettingException e) {
    return flagFor(e.setting()).map(flag -> flag + " " + e.problem()).orElse(e.getMessage());
  }
}
