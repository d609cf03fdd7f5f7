package io.fedbase.genotype;

import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.Operation;
import java.util.List;

/**
 * How strongly each (edge, operation) of both cell types is chosen, [edges][ops] per cell type:
 * what a {@link GenotypeRule} picks the largest entries of. The logits' softmax is one such
 * strength; an operation's importance measured by perturbation is another.
 *
 * @param source what the strengths are, for reports ("softmax of the logits", "perturbation")
 */
public record OperationScores(String source, List<Operation> ops, int nodes, double[][] normal, double[][] reduce) {

  /** The source of {@link #softmaxOf}. */
  public static final String SOFTMAX = "softmax of the logits";

  public OperationScores {
    ops = List.copyOf(ops);
    int edges = EdgeIndex.edges(nodes);
    for (double[][] m : new double[][][] {normal, reduce}) {
      if (m.length != edges) {
        throw new IllegalArgumentException("scores need " + edges + " rows for " + nodes + " nodes, got " + m.length);
      }
      for (double[] row : m) {
        if (row.length != ops.size()) {
          throw new IllegalArgumentException("score rows need " + ops.size() + " columns, got " + row.length);
        }
        for (double v : row) {
          if (Double.isNaN(v)) {
            throw new IllegalArgumentException("scores must not be NaN");
          }
        }
      }
    }
  }

  /** The softmax of the logits, the classic DARTS and BASE read-out. */
  public static OperationScores softmaxOf(ArchitectureLogits logits) {
    return new OperationScores(
        SOFTMAX, logits.ops(), logits.nodes(), logits.softmax(CellType.NORMAL), logits.softmax(CellType.REDUCE));
  }

  /** Whether these are the logits' softmax rather than scores measured some other way. */
  public boolean isSoftmax() {
    return SOFTMAX.equals(source);
  }

  public double[][] of(CellType type) {
    return type == CellType.NORMAL ? normal : reduce;
  }
}
