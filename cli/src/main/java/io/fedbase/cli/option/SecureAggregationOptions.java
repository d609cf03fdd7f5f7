package io.fedbase.cli.option;

import io.fedbase.coordinator.secure.SecureAggregationSettings;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The coordinator's secure-aggregation flags. */
public final class SecureAggregationOptions {

  private static final double DEFAULT_THRESHOLD = 2.0 / 3;
  private static final float DEFAULT_CLIP = 10f;
  private static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(60);

  @Option(
      names = "--secure-aggregation",
      description = "Securely aggregate every round (Bonawitz et al. 2017): nodes mask their clipped deltas so the coordinator learns only the sum. Needs node certificates (mutual TLS).")
  public boolean enabled;

  @Option(
      names = "--secagg-threshold",
      defaultValue = "0.67",
      description = "Share of a round's participants that must remain at every step (more than 0.5; 2/3 tolerates a coordinator colluding with under a third of the nodes) (default: ${DEFAULT-VALUE}).")
  public double threshold;

  @Option(
      names = "--secagg-clip",
      defaultValue = "10",
      description = "L2 bound nodes clip their delta to; it also fixes the fixed-point step (nodes x clip / 2^31 per value), so a bound near the deltas' norms keeps rounding smallest (default: ${DEFAULT-VALUE}).")
  public float clip;

  @Option(
      names = "--secagg-step-timeout",
      defaultValue = "60s",
      description = "How long to wait for the key advertisements, the shares and the unmasking answers before going on with the nodes that answered (default: ${DEFAULT-VALUE}).")
  public String stepTimeout;

  public Optional<SecureAggregationSettings> settings() {
    if (!enabled) {
      return Optional.empty();
    }
    return Optional.of(new SecureAggregationSettings(threshold, clip, FederationOptions.parseDuration(stepTimeout)));
  }

  /** The flags' defaults, for the demo. */
  public static SecureAggregationSettings defaults() {
    return new SecureAggregationSettings(DEFAULT_THRESHOLD, DEFAULT_CLIP, DEFAULT_STEP_TIMEOUT);
  }
}
