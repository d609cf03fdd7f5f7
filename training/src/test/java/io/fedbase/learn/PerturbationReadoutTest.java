package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.space.CellType;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PerturbationReadoutTest {

  private static final InputSignature GREY = new InputSignature(1, 28, 28);
  private static final SupernetSpec SPEC = SupernetSpec.profile("small").toBuilder().setWays(3).build();

  @Test
  void eachImportanceIsTheScoreLostWhenThatOperationAloneLeavesItsEdge() {
    Bundle weights = ParameterInitializer.initialize(SPEC, 4);
    SplittableRandom rng = new SplittableRandom(11);
    ShiftedNoiseImages set = ShiftedNoiseImages.of(30, 3, GREY, 0.7f, 12);
    float[] images = set.images();
    int[] labels = set.labels();
    int ops = SPEC.operations().size();
    ArchitectureLogits logits = new ArchitectureLogits(SPEC.operations(), SPEC.nodes(), randomLogits(rng, ops), randomLogits(rng, ops));
    double tau = 0.5;
    try (NDManager root = NDManager.newBaseManager();
        SupernetProbe probe = new SupernetProbe(new Supernet(SPEC), weights, images, labels, GREY, 3, 15, root)) {
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger last = new AtomicInteger();
      PerturbationReadout.Result r = new PerturbationReadout(probe).measure(logits, tau, done -> {
        calls.incrementAndGet();
        last.set(done);
      });
      int expected = PerturbationReadout.evaluations(SPEC.operations(), SPEC.edges());
      assertEquals(2 * SPEC.edges() * (ops - 1) + 1, expected);
      assertEquals(expected, calls.get());
      assertEquals(expected, last.get());
      float[] normal = PerturbationReadout.mixture(logits, CellType.NORMAL, tau);
      float[] reduce = PerturbationReadout.mixture(logits, CellType.REDUCE, tau);
      Evaluation base = probe.score(normal, reduce);
      assertEquals(base, r.unperturbed());
      int none = SPEC.operations().indexOf(Operation.NONE);
      // a sample of (cell type, edge, op), each scored again by hand with that one weight set to 0
      for (int[] pick : new int[][] {{0, 0, 1}, {0, SPEC.edges() - 1, ops - 1}, {1, 3, 2}, {1, SPEC.edges() - 2, 1}}) {
        CellType type = pick[0] == 0 ? CellType.NORMAL : CellType.REDUCE;
        float[] perturbed = (type == CellType.NORMAL ? normal : reduce).clone();
        perturbed[pick[1] * ops + pick[2]] = 0f;
        Evaluation e = type == CellType.NORMAL ? probe.score(perturbed, reduce) : probe.score(normal, perturbed);
        assertEquals(PerturbationReadout.importance(base, e), r.importance().of(type)[pick[1]][pick[2]], 0.0, type + " edge " + pick[1] + " op " + pick[2]);
      }
      for (CellType type : CellType.values()) {
        for (double[] row : r.importance().of(type)) {
          assertEquals(0.0, row[none], 0.0, "none is not measured");
        }
      }
      // the rules read the importances, not the logits
      GenotypeRule.BASE.derive(r.importance()).validate(SPEC.operations(), SPEC.nodes());
    }
  }

  @Test
  void anAccuracyDropOutranksAnyLossRiseWhichOnlyBreaksTies() {
    Evaluation base = new Evaluation(1.0, 0.50, 1000);
    double oneImage = PerturbationReadout.importance(base, new Evaluation(0.2, 0.499, 1000));
    double lossOnly = PerturbationReadout.importance(base, new Evaluation(50.0, 0.50, 1000));
    double lossFalls = PerturbationReadout.importance(base, new Evaluation(0.5, 0.50, 1000));
    double gain = PerturbationReadout.importance(base, new Evaluation(5.0, 0.501, 1000));
    assertTrue(oneImage > lossOnly, oneImage + " vs " + lossOnly);
    assertTrue(lossOnly > 0 && lossFalls < 0, "ties go by the loss");
    assertTrue(gain < lossFalls, "an accuracy gain is never important");
  }

  @Test
  void theMixtureIsTheFlattenedSoftmaxAtTheTemperature() {
    SplittableRandom rng = new SplittableRandom(3);
    int ops = SPEC.operations().size();
    ArchitectureLogits logits = new ArchitectureLogits(SPEC.operations(), SPEC.nodes(), randomLogits(rng, ops), randomLogits(rng, ops));
    float[] w = PerturbationReadout.mixture(logits, CellType.REDUCE, 0.5);
    double[][] p = logits.softmax(CellType.REDUCE, 0.5);
    assertEquals(SPEC.edges() * ops, w.length);
    assertEquals(p[2][1], w[2 * ops + 1], 1e-7);
    assertEquals(p[SPEC.edges() - 1][ops - 1], w[w.length - 1], 1e-7);
    assertThrows(IllegalArgumentException.class, () -> new PerturbationReadout(null).measure(logits, 0, d -> {}));
  }

  private static float[][] randomLogits(SplittableRandom rng, int ops) {
    float[][] m = new float[SPEC.edges()][ops];
    for (float[] row : m) {
      for (int o = 0; o < ops; o++) {
        row[o] = (float) rng.nextGaussian();
      }
    }
    return m;
  }
}
