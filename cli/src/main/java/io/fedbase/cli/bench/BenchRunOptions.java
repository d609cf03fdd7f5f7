package io.fedbase.cli.bench;

import io.fedbase.cli.option.DeviceOption;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where a learning benchmark writes its results, its seed and its device. */
public final class BenchRunOptions {

  @Option(names = "--out", description = "Directory for results.json and results.md (and the prior, for bench adaptation).")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin DeviceOption device;
}
