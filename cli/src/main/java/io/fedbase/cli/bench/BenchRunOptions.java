package io.fedbase.cli.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a learning benchmark writes its results, its seed and its device. */
public final class BenchRunOptions {

  @Option(names = "--out", description = "Directory for results.json and results.md (and the prior, for bench adaptation).")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
  String device;
}
