package io.fedbase.coordinator.round;

import io.fedbase.bundle.Bundle;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.space.CellType;
import io.fedbase.space.SupernetSpec;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the architecture search is going anywhere, after one committed round.
 *
 * @param entropy mean entropy (nats) of the edge softmax, per cell type; log(#ops) is uniform
 * @param argmaxChanges edges whose most probable operation changed in this round, per cell type
 * @param weightUpdateNorm L2 norm of the applied change of the weights
 * @param logitUpdateNorm L2 norm of the applied change of the logits
 * @param nodeAgreement mean pairwise cosine between the nodes' logit deltas (1 = all push the same
 *     way, 0 = unrelated, negative = opposed); NaN with fewer than two updates
 */
public record SearchHealth(
    Map<CellType, Double> entropy,
    Map<CellType, Integer> argmaxChanges,
    double weightUpdateNorm,
    double logitUpdateNorm,
    double nodeAgreement) {

  /** Compares the prior before and after a round; {@code logitDeltas} are the nodes' logit parts. */
  public static SearchHealth of(SupernetSpec spec, Bundle before, Bundle after, List<float[]> logitDeltas) {
    ArchitectureLogits a = ArchitectureLogits.of(before, spec.operations(), spec.nodes());
    ArchitectureLogits b = ArchitectureLogits.of(after, spec.operations(), spec.nodes());
    Map<CellType, Double> entropy = new EnumMap<>(CellType.class);
    Map<CellType, Integer> changes = new EnumMap<>(CellType.class);
    for (CellType type : CellType.values()) {
      entropy.put(type, b.meanEntropy(type));
      changes.put(type, argmaxChanges(a.of(type), b.of(type)));
    }
    Bundle change = after.minus(before);
    return new SearchHealth(entropy, changes, change.norm(false), change.norm(true), meanPairwiseCosine(logitDeltas));
  }

  static int argmaxChanges(float[][] before, float[][] after) {
    int changed = 0;
    for (int e = 0; e < before.length; e++) {
      if (argmax(before[e]) != argmax(after[e])) {
        changed++;
      }
    }
    return changed;
  }

  private static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  static double meanPairwiseCosine(List<float[]> vectors) {
    if (vectors.size() < 2) {
      return Double.NaN;
    }
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < vectors.size(); i++) {
      for (int j = i + 1; j < vectors.size(); j++) {
        sum += cosine(vectors.get(i), vectors.get(j));
        pairs++;
      }
    }
    return sum / pairs;
  }

  private static double cosine(float[] x, float[] y) {
    double dot = 0;
    double nx = 0;
    double ny = 0;
    for (int i = 0; i < x.length; i++) {
      dot += (double) x[i] * y[i];
      nx += (double) x[i] * x[i];
      ny += (double) y[i] * y[i];
    }
    return nx == 0 || ny == 0 ? 0 : dot / Math.sqrt(nx * ny);
  }
}
