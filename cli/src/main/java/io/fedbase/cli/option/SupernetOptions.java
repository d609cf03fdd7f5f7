package io.fedbase.cli.option;

import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --profile} and size overrides of the supernet. */
public final class SupernetOptions {

  @Option(names = "--profile", defaultValue = "small", description = "Supernet profile: small or paper (default: ${DEFAULT-VALUE}).")
  public String profile;

  @Option(names = "--channels", description = "Override the initial channel count C.")
  public Integer channels;

  @Option(names = "--cells", description = "Override the number of cells (reductions placed as in DARTS).")
  public Integer cells;

  @Option(names = "--cell-nodes", description = "Override the intermediate nodes per cell.")
  public Integer nodes;

  @Option(names = "--ways", description = "Override the classifier width N (tasks are N-way).")
  public Integer ways;

  @Option(names = "--ops", split = ",", description = "Override the candidate operations (DARTS names, comma-separated).")
  public List<String> ops;

  public SupernetSpec spec() {
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
    if (ops != null) {
      b.setOperations(ops.stream().map(Operation::fromDartsName).toList());
    }
    return b.build();
  }
}
