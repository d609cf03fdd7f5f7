package io.fedbase.learn;

import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.OperationScores;
import io.fedbase.space.CellType;
import io.fedbase.space.Operation;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Reads the architecture out of an adapted supernet by perturbation (DARTS-PT, Wang et al., ICLR
 * 2021) instead of by the largest logit: an operation's importance on an edge is how much the
 * supernet's accuracy on a labelled set drops when that operation alone is taken out of the edge's
 * mixture, every edge of both cell types otherwise keeping its weight softmax(alpha / tau), the
 * mixture the supernet's held-out accuracy is measured with during adaptation. The one-shot variant:
 * every importance is measured on the same supernet, without DARTS-PT's fine-tuning between
 * decisions. A {@link io.fedbase.genotype.GenotypeRule} then picks the largest importances.
 */
public final class PerturbationReadout {

  /**
   * @param importance each (edge, operation)'s accuracy drop when it is removed ({@code none} is not
   *     measured and stays 0: the rules never choose it)
   * @param unperturbed the supernet's score with every operation in
   */
  public record Result(OperationScores importance, Evaluation unperturbed) {}

  private final SupernetProbe probe;

  public PerturbationReadout(SupernetProbe probe) {
    this.probe = probe;
  }

  /** How many scorings {@link #measure} runs for this space: one per (cell type, edge, operation besides none), and one unperturbed. */
  public static int evaluations(List<Operation> ops, int edges) {
    return 2 * edges * (int) ops.stream().filter(o -> o != Operation.NONE).count() + 1;
  }

  /**
   * Measures every importance around the mixture softmax(logits / tau).
   *
   * @param done called with the number of scorings finished so far
   */
  public Result measure(ArchitectureLogits logits, double tau, IntConsumer done) {
    List<Operation> ops = logits.ops();
    float[] normal = mixture(logits, CellType.NORMAL, tau);
    float[] reduce = mixture(logits, CellType.REDUCE, tau);
    Evaluation base = probe.score(normal, reduce);
    int[] finished = {1};
    done.accept(finished[0]);
    double[][] normalImportance = importances(normal, ops, base, w -> probe.score(w, reduce), finished, done);
    double[][] reduceImportance = importances(reduce, ops, base, w -> probe.score(normal, w), finished, done);
    return new Result(new OperationScores("perturbation", ops, logits.nodes(), normalImportance, reduceImportance), base);
  }

  private interface Scorer {
    Evaluation score(float[] weights);
  }

  private static double[][] importances(float[] weights, List<Operation> ops, Evaluation base, Scorer scorer, int[] finished, IntConsumer done) {
    int width = ops.size();
    double[][] out = new double[weights.length / width][width];
    for (int e = 0; e < out.length; e++) {
      for (int o = 0; o < width; o++) {
        if (ops.get(o) == Operation.NONE) {
          continue;
        }
        float[] perturbed = weights.clone();
        perturbed[e * width + o] = 0f;
        out[e][o] = importance(base, scorer.score(perturbed));
        done.accept(++finished[0]);
      }
    }
    return out;
  }

  /**
   * The accuracy drop, with ties broken by the loss rise: accuracies on n examples are multiples of
   * 1/n, so a loss term bounded by a quarter of that step orders equal drops without ever
   * reordering different ones.
   */
  static double importance(Evaluation base, Evaluation perturbed) {
    double quantum = 1.0 / base.examples();
    return (base.accuracy() - perturbed.accuracy()) + 0.25 * quantum * Math.tanh(perturbed.loss() - base.loss());
  }

  /** Row-wise softmax(logits / tau), flattened [edges x ops] as the probe takes it. */
  static float[] mixture(ArchitectureLogits logits, CellType type, double tau) {
    double[][] p = logits.softmax(type, tau);
    int width = p[0].length;
    float[] flat = new float[p.length * width];
    for (int e = 0; e < p.length; e++) {
      for (int o = 0; o < width; o++) {
        flat[e * width + o] = (float) p[e][o];
      }
    }
    return flat;
  }
}
