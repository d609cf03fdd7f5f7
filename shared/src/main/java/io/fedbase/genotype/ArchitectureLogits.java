package io.fedbase.genotype;

import io.fedbase.bundle.Bundle;
import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.Operation;
import io.fedbase.space.TensorNames;
import java.util.List;

/** The logit matrices [edges][ops] of both cell types, with the operation list they index. */
public record ArchitectureLogits(List<Operation> ops, int nodes, float[][] normal, float[][] reduce) {

  public ArchitectureLogits {
    ops = List.copyOf(ops);
    int edges = EdgeIndex.edges(nodes);
    for (float[][] m : new float[][][] {normal, reduce}) {
      if (m.length != edges) {
        throw new IllegalArgumentException("logits need " + edges + " rows for " + nodes + " nodes, got " + m.length);
      }
      for (float[] row : m) {
        if (row.length != ops.size()) {
          throw new IllegalArgumentException("logit rows need " + ops.size() + " columns, got " + row.length);
        }
        for (float v : row) {
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("logits must be finite");
          }
        }
      }
    }
  }

  /** Reads {@code alpha.normal} and {@code alpha.reduce} out of a parameter bundle. */
  public static ArchitectureLogits of(Bundle w, List<Operation> ops, int nodes) {
    return new ArchitectureLogits(
        ops,
        nodes,
        rows(w.tensor(TensorNames.alpha(CellType.NORMAL)), ops.size()),
        rows(w.tensor(TensorNames.alpha(CellType.REDUCE)), ops.size()));
  }

  private static float[][] rows(float[] flat, int cols) {
    float[][] out = new float[flat.length / cols][cols];
    for (int r = 0; r < out.length; r++) {
      System.arraycopy(flat, r * cols, out[r], 0, cols);
    }
    return out;
  }

  public float[][] of(CellType type) {
    return type == CellType.NORMAL ? normal : reduce;
  }

  /** Row-wise softmax (edge weights) of one cell type. */
  public double[][] softmax(CellType type) {
    return softmax(type, 1.0);
  }

  /** Row-wise softmax(logits / tau) of one cell type: the mixture a relaxation at temperature tau centres on. */
  public double[][] softmax(CellType type, double tau) {
    if (!(tau > 0) || Double.isInfinite(tau)) {
      throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
    }
    float[][] logits = of(type);
    double[][] out = new double[logits.length][];
    for (int e = 0; e < logits.length; e++) {
      double max = Double.NEGATIVE_INFINITY;
      for (float v : logits[e]) {
        max = Math.max(max, v / tau);
      }
      double sum = 0;
      out[e] = new double[logits[e].length];
      for (int o = 0; o < logits[e].length; o++) {
        out[e][o] = Math.exp(logits[e][o] / tau - max);
        sum += out[e][o];
      }
      for (int o = 0; o < out[e].length; o++) {
        out[e][o] /= sum;
      }
    }
    return out;
  }

  /** Mean entropy (nats) of the edge softmax of one cell type; ln(ops) when uniform. */
  public double meanEntropy(CellType type) {
    double total = 0;
    double[][] p = softmax(type);
    for (double[] row : p) {
      for (double v : row) {
        if (v > 0) {
          total -= v * Math.log(v);
        }
      }
    }
    return total / p.length;
  }
}
