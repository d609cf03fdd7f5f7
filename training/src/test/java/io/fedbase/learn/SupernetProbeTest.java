package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.genotype.Genotype;
import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.EdgeWeights;
import io.fedbase.supernet.GradMode;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.Supernet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SupernetProbeTest {

  private static final InputSignature GREY = new InputSignature(1, 28, 28);
  private static final SupernetSpec SPEC = SupernetSpec.profile("small").toBuilder().setWays(3).build();

  @Test
  void aGenotypesEdgeWeightsSwitchOnExactlyItsChoices() {
    Genotype g = Genotype.random(List.of(Operation.MAX_POOL_3X3, Operation.SEP_CONV_3X3, Operation.DIL_CONV_3X3), SPEC.nodes(), new SplittableRandom(3));
    for (CellType type : CellType.values()) {
      float[] w = SupernetProbe.edgeWeightsOf(g, SPEC, type);
      int ops = SPEC.operations().size();
      double sum = 0;
      for (float v : w) {
        sum += v;
      }
      assertEquals(2 * SPEC.nodes(), sum, 0.0, "two inputs per node");
      List<Genotype.Choice> choices = g.cell(type);
      for (int i = 0; i < choices.size(); i++) {
        Genotype.Choice c = choices.get(i);
        assertEquals(1f, w[EdgeIndex.of(i / 2, c.input()) * ops + SPEC.operations().indexOf(c.op())], 0f, type + " choice " + i);
      }
    }
    Genotype bigger = Genotype.random(List.of(Operation.SEP_CONV_3X3), SPEC.nodes() + 1, new SplittableRandom(1));
    assertThrows(IllegalArgumentException.class, () -> SupernetProbe.edgeWeightsOf(bigger, SPEC, CellType.NORMAL));
  }

  @Test
  void theScoreIsTheSupernetsWithOnlyTheGenotypesOperations() {
    Bundle weights = ParameterInitializer.initialize(SPEC, 2);
    Supernet supernet = new Supernet(SPEC);
    int n = 24;
    ShiftedNoiseImages set = ShiftedNoiseImages.of(n, 3, GREY, 0.5f, 5);
    float[] images = set.images();
    int[] labels = set.labels();
    Genotype g = Genotype.random(List.of(Operation.SKIP_CONNECT, Operation.SEP_CONV_3X3, Operation.DIL_CONV_3X3), SPEC.nodes(), new SplittableRandom(7));
    try (NDManager root = NDManager.newBaseManager()) {
      Evaluation probed;
      try (SupernetProbe probe = new SupernetProbe(supernet, weights, images, labels, GREY, 3, n, root)) {
        probed = probe.score(g);
      }
      // the same forward written out: one-hot edge weights, all images as one batch
      try (NDManager m = root.newSubManager();
          GradMode ignored = GradMode.disabled()) {
        ParameterSet p = ParameterSet.load(weights, m, t -> false);
        Shape shape = new Shape(SPEC.edges(), SPEC.operations().size());
        EdgeWeights mixing =
            new EdgeWeights(
                m.create(SupernetProbe.edgeWeightsOf(g, SPEC, CellType.NORMAL), shape), m.create(SupernetProbe.edgeWeightsOf(g, SPEC, CellType.REDUCE), shape));
        NDArray logits = supernet.forward(p, m.create(images, new Shape(n, 1, 28, 28)), mixing, m);
        float[] l = logits.toFloatArray();
        int correct = 0;
        for (int i = 0; i < n; i++) {
          int best = 0;
          for (int k = 1; k < 3; k++) {
            best = l[i * 3 + k] > l[i * 3 + best] ? k : best;
          }
          correct += best == labels[i] ? 1 : 0;
        }
        float loss = Losses.crossEntropy(logits, m.create(Losses.oneHot(labels, 3), new Shape(n, 3))).toFloatArray()[0];
        assertEquals(correct / (double) n, probed.accuracy(), 1e-12);
        assertEquals(loss, probed.loss(), 1e-5);
        assertEquals(n, probed.examples());
      }
      // in chunks the score is still a mean over every image, each chunk weighed by its size
      try (SupernetProbe chunked = new SupernetProbe(supernet, weights, images, labels, GREY, 3, 10, root)) {
        Evaluation e = chunked.score(g);
        assertEquals(n, e.examples());
        assertEquals(0, Math.round(e.accuracy() * n * 1e6) % 1_000_000, "a whole number of correct images: " + e.accuracy());
      }
    }
  }
}
