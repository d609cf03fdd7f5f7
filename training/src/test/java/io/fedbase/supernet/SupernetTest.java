package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SupernetTest {

  private static NDArray images(NDManager m, int batch, int c, int h, int w) {
    SplittableRandom rng = new SplittableRandom(3);
    float[] v = new float[batch * c * h * w];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, new Shape(batch, c, h, w));
  }

  private static EdgeWeights softmaxWeights(ParameterSet p, NDManager m) {
    return new EdgeWeights(
        RelaxationSampling.sample(Relaxation.SOFTMAX, p.get(TensorNames.alpha(CellType.NORMAL)), 1f, null, m),
        RelaxationSampling.sample(Relaxation.SOFTMAX, p.get(TensorNames.alpha(CellType.REDUCE)), 1f, null, m));
  }

  @Test
  void smallProfileGivesOneLogitPerWayForEveryStem() {
    SupernetSpec spec = SupernetSpec.profile("small");
    Supernet net = new Supernet(spec);
    Bundle w = ParameterInitializer.initialize(spec, 1);
    try (NDManager m = NDManager.newBaseManager();
        GradMode g = GradMode.disabled()) {
      ParameterSet p = ParameterSet.load(w, m, t -> false);
      for (int[] sig : new int[][] {{1, 28, 28}, {3, 32, 32}}) {
        NDArray x = images(m, 6, sig[0], sig[1], sig[2]);
        EdgeWeights mix = softmaxWeights(p, m);
        NDArray logits = net.forward(p, x, mix, m);
        assertEquals(new Shape(6, spec.ways()), logits.getShape());
        for (float v : logits.toFloatArray()) {
          assertTrue(Float.isFinite(v));
        }
      }
    }
  }

  @Test
  void paperProfileRunsOnGreyImagesThroughOddSizedReductions() {
    SupernetSpec spec = SupernetSpec.profile("paper");
    Supernet net = new Supernet(spec);
    Bundle w = ParameterInitializer.initialize(spec, 1);
    try (NDManager m = NDManager.newBaseManager();
        GradMode g = GradMode.disabled()) {
      ParameterSet p = ParameterSet.load(w, m, t -> false);
      EdgeWeights mix = softmaxWeights(p, m);
      // 28 -> 14 (stem) -> 7 -> 4: the second reduction meets an odd size
      NDArray logits = net.forward(p, images(m, 2, 1, 28, 28), mix, m);
      assertEquals(new Shape(2, 5), logits.getShape());
    }
  }

  @Test
  void inputWithoutStemIsRefusedClearly() {
    SupernetSpec spec = SupernetSpec.profile("small");
    Supernet net = new Supernet(spec);
    try (NDManager m = NDManager.newBaseManager()) {
      ParameterSet p = ParameterSet.load(ParameterInitializer.initialize(spec, 1), m, t -> false);
      EdgeWeights mix = softmaxWeights(p, m);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> net.forward(p, images(m, 2, 3, 64, 64), mix, m));
      assertTrue(e.getMessage().contains("3x64x64"), e.getMessage());
    }
  }

  @Test
  void initialisationIsSeededAndLogitsNearUniform() {
    SupernetSpec spec = SupernetSpec.profile("small");
    Bundle a = ParameterInitializer.initialize(spec, 42);
    assertEquals(a, ParameterInitializer.initialize(spec, 42));
    assertTrue(!a.equals(ParameterInitializer.initialize(spec, 43)));
    for (float v : a.tensor(TensorNames.alpha(CellType.NORMAL))) {
      assertTrue(Math.abs(v) < 0.01f);
    }
  }
}
