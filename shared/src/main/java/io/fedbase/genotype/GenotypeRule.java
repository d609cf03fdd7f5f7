package io.fedbase.genotype;

import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a discrete genotype is read off per-(edge, operation) strengths (the logits' softmax, or
 * importances measured by perturbation); both rules skip {@code none}.
 */
public enum GenotypeRule {
  /**
   * BASE: per node, the two largest entries of the node's [incoming edges x ops] softmax, so two
   * operations on the same input are allowed (as in BASE's published cells).
   */
  BASE("base") {
    @Override
    List<Genotype.Choice> node(double[][] w, int node, List<Operation> ops) {
      int first = -1;
      int second = -1;
      int width = ops.size();
      for (int state = 0; state < node + 2; state++) {
        int edge = EdgeIndex.of(node, state);
        for (int o = 0; o < width; o++) {
          if (ops.get(o) == Operation.NONE) {
            continue;
          }
          int key = state * width + o;
          if (first < 0 || w[edge][o] > value(w, node, first, width)) {
            second = first;
            first = key;
          } else if (second < 0 || w[edge][o] > value(w, node, second, width)) {
            second = key;
          }
        }
      }
      return List.of(
          new Genotype.Choice(ops.get(first % width), first / width),
          new Genotype.Choice(ops.get(second % width), second / width));
    }
  },
  /** DARTS: the two distinct incoming edges with the strongest non-none op, argmax op on each. */
  DARTS("darts") {
    @Override
    List<Genotype.Choice> node(double[][] w, int node, List<Operation> ops) {
      int best = -1;
      int next = -1;
      for (int state = 0; state < node + 2; state++) {
        double s = w[EdgeIndex.of(node, state)][argmaxOp(w[EdgeIndex.of(node, state)], ops)];
        if (best < 0 || s > strength(w, node, best, ops)) {
          next = best;
          best = state;
        } else if (next < 0 || s > strength(w, node, next, ops)) {
          next = state;
        }
      }
      return List.of(
          new Genotype.Choice(ops.get(argmaxOp(w[EdgeIndex.of(node, best)], ops)), best),
          new Genotype.Choice(ops.get(argmaxOp(w[EdgeIndex.of(node, next)], ops)), next));
    }
  };

  private final String key;

  GenotypeRule(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  /** Looks a rule up by name ({@code base} or {@code darts}). */
  public static GenotypeRule byName(String name) {
    for (GenotypeRule r : values()) {
      if (r.key.equals(name.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown genotype rule '" + name + "'; use base or darts");
  }

  /** The genotype of both cell types, read off the logits' softmax. */
  public Genotype derive(ArchitectureLogits logits) {
    return derive(OperationScores.softmaxOf(logits));
  }

  /** The genotype of both cell types, read off {@code scores}. */
  public Genotype derive(OperationScores scores) {
    if (scores.ops().stream().filter(o -> o != Operation.NONE).count() < 1) {
      throw new IllegalArgumentException("no operation besides none to choose from");
    }
    return new Genotype(scores.nodes(), cell(scores.of(CellType.NORMAL), scores), cell(scores.of(CellType.REDUCE), scores));
  }

  private List<Genotype.Choice> cell(double[][] w, OperationScores scores) {
    List<Genotype.Choice> out = new ArrayList<>();
    for (int node = 0; node < scores.nodes(); node++) {
      out.addAll(node(w, node, scores.ops()));
    }
    return out;
  }

  abstract List<Genotype.Choice> node(double[][] w, int node, List<Operation> ops);

  private static double value(double[][] w, int node, int key, int width) {
    return w[EdgeIndex.of(node, key / width)][key % width];
  }

  private static int argmaxOp(double[] row, List<Operation> ops) {
    int best = -1;
    for (int o = 0; o < row.length; o++) {
      if (ops.get(o) != Operation.NONE && (best < 0 || row[o] > row[best])) {
        best = o;
      }
    }
    return best;
  }

  private static double strength(double[][] w, int node, int state, List<Operation> ops) {
    double[] row = w[EdgeIndex.of(node, state)];
    return row[argmaxOp(row, ops)];
  }
}
