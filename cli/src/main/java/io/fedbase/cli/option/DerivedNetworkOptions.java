package io.fedbase.cli.option;

import io.fedbase.genotype.Genotype;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.StemSpec;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.DerivedNetworkSpec;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --cells} and {@code --channels} of a derived network, as DARTS scales a found cell up. */
public final class DerivedNetworkOptions {

  @Option(names = "--cells", defaultValue = "5", description = "Cells L; reductions at L/3 and 2L/3 (default: ${DEFAULT-VALUE}).")
  public int cells;

  @Option(names = "--channels", defaultValue = "16", description = "Initial channels C (default: ${DEFAULT-VALUE}).")
  public int channels;

  /** The network of {@code genotype} for images of {@code signature} and {@code classes} outputs. */
  public DerivedNetworkSpec spec(Genotype genotype, List<Operation> operations, InputSignature signature, int classes) {
    if (cells < 1) {
      throw new IllegalArgumentException("--cells must be at least 1, got " + cells);
    }
    SupernetSpec frame =
        new SupernetSpec.Builder()
            .setProfile("derived")
            .setChannels(channels)
            .setCells(SupernetSpec.dartsCells(cells))
            .setNodes(genotype.nodes())
            .setOperations(operations)
            .setStems(List.of(StemSpec.defaultFor(signature)))
            .setWays(classes)
            .build();
    return new DerivedNetworkSpec(genotype, frame);
  }
}
