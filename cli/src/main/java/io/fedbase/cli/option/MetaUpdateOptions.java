package io.fedbase.cli.option;

import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.meta.Schedule;
import io.fedbase.meta.ServerMomentumUpdate;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The outer loop's schedules and meta-optimizer, shared by {@code meta-train} and {@code coordinator}. */
public final class MetaUpdateOptions {

  @Option(names = "--tau", defaultValue = "1.0:0.3", description = "Gumbel temperature, VALUE or START:END over the rounds (default: ${DEFAULT-VALUE}).")
  public String tau;

  @Option(names = "--eps-w", defaultValue = "1.0:0.1", description = "Meta step on weights, VALUE or START:END (default: ${DEFAULT-VALUE}).")
  public String epsWeights;

  @Option(names = "--eps-alpha", defaultValue = "0.6", description = "Meta step on logits, VALUE or START:END (default: ${DEFAULT-VALUE}).")
  public String epsLogits;

  @Option(names = "--meta-optimizer", defaultValue = "fd", description = "fd (finite difference) or momentum (default: ${DEFAULT-VALUE}).")
  public String metaOptimizer;

  @Option(names = "--momentum", defaultValue = "0.9", description = "Server momentum for --meta-optimizer momentum (default: ${DEFAULT-VALUE}).")
  public float momentum;

  @Option(names = "--warmup-rounds", defaultValue = "0", description = "Rounds with frozen logits at the start (default: ${DEFAULT-VALUE}).")
  public int warmupRounds;

  public Schedule tau() {
    return Schedule.parse(tau);
  }

  public MetaOptimizer optimizer() {
    FiniteDifferenceUpdate fd = new FiniteDifferenceUpdate(Schedule.parse(epsWeights), Schedule.parse(epsLogits));
    return switch (metaOptimizer.toLowerCase(Locale.ROOT)) {
      case "fd" -> fd;
      case "momentum" -> new ServerMomentumUpdate(fd, momentum);
      default -> throw new IllegalArgumentException("--meta-optimizer must be fd or momentum, got '" + metaOptimizer + "'");
    };
  }
}
