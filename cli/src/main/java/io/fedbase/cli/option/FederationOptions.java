package io.fedbase.cli.option;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.task.TaskSpec;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Round policy and task flags of a coordinator; the meta-update flags are {@link MetaUpdateOptions}. */
public final class FederationOptions {

  @Option(names = "--min-nodes", defaultValue = "2", description = "Connected nodes needed to open a round (default: ${DEFAULT-VALUE}).")
  public int minNodes;

  @Option(names = "--quorum", description = "Accepted updates needed to commit a round (default: --min-nodes).")
  public Integer quorum;

  @Option(names = "--round-deadline", defaultValue = "10m", description = "Time nodes have per round, e.g. 90s, 10m (default: ${DEFAULT-VALUE}).")
  public String roundDeadline;

  @Option(names = "--tasks-per-node", defaultValue = "2", description = "Tasks each node adapts to per round (default: ${DEFAULT-VALUE}).")
  public int tasksPerNode;

  @Option(names = "--shots", defaultValue = "10", description = "Support images per class of a task (default: ${DEFAULT-VALUE}).")
  public int shots;

  @Option(names = "--queries", defaultValue = "5", description = "Query images per class of a task (default: ${DEFAULT-VALUE}).")
  public int queries;

  @Option(names = "--schedule-rounds", description = "Rounds the tau and step schedules run over (default: --rounds, or 200 when unbounded).")
  public Integer scheduleRounds;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, task sampling and Gumbel noise (default: ${DEFAULT-VALUE}).")
  public long seed;

  @Option(names = "--max-weight-norm", description = "Bound on the L2 norm of an upload's weight part (default: none).")
  public Double maxWeightNorm;

  @Option(names = "--max-logit-norm", description = "Bound on the L2 norm of an upload's logit part (default: none).")
  public Double maxLogitNorm;

  @Option(names = "--norm-action", defaultValue = "clip", description = "Beyond a norm bound: clip (scale the part down) or refuse (default: ${DEFAULT-VALUE}).")
  public String normAction;

  @Option(
      names = "--accept-encodings",
      split = ",",
      defaultValue = "fp32,fp16,bf16,int8",
      description = "Upload encodings nodes may use: fp32, fp16, bf16, int8 (default: ${DEFAULT-VALUE}).")
  public List<String> acceptEncodings;

  public Set<DeltaEncoding> acceptedEncodings() {
    return acceptEncodings.stream().map(DeltaEncoding::parse).collect(Collectors.toCollection(() -> EnumSet.noneOf(DeltaEncoding.class)));
  }

  @Option(
      names = "--aggregation",
      defaultValue = "mean",
      description =
          "How a round's uploads are combined: mean (task-weighted), median or trimmed-mean:BETA (coordinate-wise,"
              + " unweighted, robust to a minority of bad nodes; uploads are kept on disk until the round commits) (default: ${DEFAULT-VALUE}).")
  public String aggregation;

  @Option(
      names = "--aggregation-memory-mb",
      defaultValue = "64",
      description = "Memory the robust rules may use for their per-coordinate blocks; beyond it they read the kept uploads in more passes (default: ${DEFAULT-VALUE}).")
  public long aggregationMemoryMb;

  @Option(
      names = "--max-prior-change",
      defaultValue = "1.0",
      description =
          "The largest L2 change of the prior one round may make, relative to the prior's norm; a round that would move it"
              + " further fails and the prior stays (default: ${DEFAULT-VALUE}; Infinity turns the guard off).")
  public double maxPriorChange;

  @Option(
      names = "--outlier-ratio",
      defaultValue = "10",
      description =
          "Refuse an upload whose L2 norm is more than this many times the median of the uploads merged in the last 5 rounds"
              + " (before any: more than the round may move the prior); not for secure or private rounds"
              + " (default: ${DEFAULT-VALUE}; Infinity turns the guard off).")
  public double outlierRatio;

  @Mixin public SecureAggregationOptions secure;
  @Mixin public PrivacyOptions privacy;

  public AggregationMethod aggregationMethod() {
    AggregationMethod method = AggregationMethod.parse(aggregation);
    return method instanceof AggregationMethod.Robust robust ? robust.withMemoryBytes(aggregationMemoryMb << 20) : method;
  }

  public NormBound normBound() {
    return new NormBound(
        maxWeightNorm == null ? Double.POSITIVE_INFINITY : maxWeightNorm,
        maxLogitNorm == null ? Double.POSITIVE_INFINITY : maxLogitNorm,
        NormBound.Action.fromKey(normAction));
  }

  public FederationSettings settings(int ways, InnerLoopConfig inner, MetaUpdateOptions meta, long rounds) {
    int horizon = scheduleRounds != null ? scheduleRounds : rounds > 0 ? (int) rounds : 200;
    return FederationSettings.builder()
        .setPolicy(new RoundPolicy(minNodes, quorum == null ? minNodes : quorum, parseDuration(roundDeadline)))
        .optTasksPerNode(tasksPerNode)
        .setTasks(new TaskSpec(ways, shots, queries))
        .optInner(inner)
        .optTau(meta.tau())
        .optScheduleRounds(horizon)
        .optWarmupRounds(meta.warmupRounds)
        .optSeed(seed)
        .optTargetRounds(rounds)
        .optNormBound(normBound())
        .optAcceptedEncodings(acceptedEncodings())
        .optAggregation(aggregationMethod())
        .optSecureAggregation(secure.settings())
        .optPrivacy(privacy.settings())
        .optMaxRelativeChange(maxPriorChange)
        .optOutlierRatio(outlierRatio)
        .build();
  }

  /** {@code 90s}, {@code 10m}, {@code 1h}, or an ISO-8601 duration. */
  public static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.matches("\\d+(ms|s|m|h)")) {
        long n = Long.parseLong(t.replaceAll("[a-z]+$", ""));
        return switch (t.replaceAll("^\\d+", "")) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      }
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new IllegalArgumentException("a duration looks like 90s, 10m or 1h, got '" + text + "'");
    }
  }
}
