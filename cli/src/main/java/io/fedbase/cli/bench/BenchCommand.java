package io.fedbase.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code bench NAME}: the benchmarks behind BENCHMARKS.md, each printing one JSON line last. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks; each prints one JSON line last.",
    subcommands = {AdaptationBenchCommand.class, InnerStepBenchCommand.class, GenotypeBenchCommand.class, RankingBenchCommand.class, AggregateBenchCommand.class, RoundBenchCommand.class, TransferBenchCommand.class, EncodingsBenchCommand.class, SecureAggregationBenchCommand.class, PrivacyBenchCommand.class, SoakBenchCommand.class})
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
