package io.fedbase.cli;

import io.fedbase.space.SupernetSpec;
import picocli.CommandLine.Option;

/** {@code --profile} and size overrides of the supernet. */
final class SupernetOptions {

  @Option(names = "--profile", defaultValue = "small", description = "Supernet profile: small or paper (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--channels", description = "Override the initial channel count C.")
  Integer channels;

  @Option(names = "--cells", description = "Override the number of cells (reductions placed as in DARTS).")
  Integer cells;

  @Option(names = "--nodes", description = "Override the intermediate nodes per cell.")
  Integer nodes;

  @Option(names = "--ways", description = "Override the classifier width N (tasks are N-way).")
  Integer ways;

  SupernetSpec spec() {
    SupernetSpec.Builder b = SupernetSpec.profileBuilder(profile);
    if (channels != null) {
      b.setChannels(channels);
    }
    if (cells != null) {
      b.setCells(SupernetSpec.dartsCells(cells));
    }
    if (nodes != null) {
      b.setNodes(nodes);
    }
    if (ways != null) {
      b.setWays(ways);
    }
    return b.build();
  }
}
