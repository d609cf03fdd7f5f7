package io.fedbase.cli.option;

import io.fedbase.coordinator.privacy.PrivacySettings;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The coordinator's differential-privacy flags. */
public final class PrivacyOptions {

  @Option(
      names = "--dp",
      description = "Client-level differential privacy: central (the coordinator adds the noise to the sum) or distributed (each node adds its share; use with --secure-aggregation).")
  public String mode;

  @Option(names = "--dp-noise-multiplier", defaultValue = "1.0", description = "Noise standard deviation over the sensitivity, sigma (default: ${DEFAULT-VALUE}).")
  public double noiseMultiplier;

  @Option(names = "--dp-weight-clip", description = "L2 bound of a delta's weight part (required with --dp; the coordinator logs the deltas' norms).")
  public Double weightClip;

  @Option(names = "--dp-logit-clip", description = "L2 bound of a delta's logit part (required with --dp).")
  public Double logitClip;

  @Option(names = "--dp-delta", defaultValue = "1e-5", description = "The delta epsilon is reported at; well below 1 / nodes (default: ${DEFAULT-VALUE}).")
  public double delta;

  @Option(names = "--dp-budget", description = "Stop before a round would take epsilon above this (default: no budget).")
  public Double budget;

  @Option(
      names = "--sample-rate",
      defaultValue = "1.0",
      description = "With --dp, each connected node takes part in a round with this probability (privacy amplification by sampling) (default: ${DEFAULT-VALUE}).")
  public double sampleRate;

  public Optional<PrivacySettings> settings() {
    if (mode == null) {
      return Optional.empty();
    }
    if (weightClip == null || logitClip == null) {
      throw new IllegalArgumentException("--dp needs --dp-weight-clip and --dp-logit-clip (the coordinator's log shows the deltas' norms to choose them from)");
    }
    return Optional.of(
        new PrivacySettings(
            PrivacySettings.Mode.fromKey(mode), noiseMultiplier, weightClip, logitClip, delta, budget == null ? Double.POSITIVE_INFINITY : budget, sampleRate));
  }
}
