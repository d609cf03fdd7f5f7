package io.fedbase.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedbase.space.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundleMathTest {

  private final BundleLayout layout =
      new BundleLayout("abc", List.of(TensorSpec.weight("w", 2, 2), TensorSpec.logits("alpha", 3)));

  private Bundle b(float... v) {
    return Bundle.of(layout, v);
  }

  @Test
  void deltaAndScaledAdditionInvertEachOther() {
    Bundle w = b(1, 2, 3, 4, 5, 6, 7);
    Bundle phi = b(2, 2, 1, 4, 5, 8, 7);
    Bundle delta = phi.minus(w);
    assertArrayEquals(new float[] {1, 0, -2, 0, 0, 2, 0}, delta.toArray());
    assertEquals(phi, w.plusScaled(delta, 1f));
  }

  @Test
  void weightsAndLogitsGetTheirOwnStepSize() {
    Bundle w = b(0, 0, 0, 0, 0, 0, 0);
    Bundle d = b(1, 1, 1, 1, 1, 1, 1);
    assertArrayEquals(new float[] {.5f, .5f, .5f, .5f, 2, 2, 2}, w.plusScaled(d, 0.5f, 2f).toArray());
    assertEquals(2.0, d.norm(false), 1e-12);
    assertEquals(Math.sqrt(3), d.norm(true), 1e-12);
  }

  @Test
  void weightedSumIsTheTaskWeightedMean() {
    WeightedSum sum = new WeightedSum(layout);
    sum.add(b(1, 1, 1, 1, 1, 1, 1), 1);
    sum.add(b(4, 4, 4, 4, 4, 4, 4), 2);
    assertEquals(2, sum.count());
    assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3, 3}, sum.result().toArray(), 1e-6f);
    assertThrows(IllegalArgumentException.class, () -> sum.add(b(1, 1, 1, 1, 1, 1, 1), 0));
  }

  @Test
  void refusesMixingLayouts() {
    BundleLayout other = new BundleLayout("def", layout.tensors());
    Bundle a = b(1, 2, 3, 4, 5, 6, 7);
    Bundle c = Bundle.of(other, a.toArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.minus(c));
    assertEquals(true, e.getMessage().contains("do not match"));
  }

  @Test
  void findsNonFiniteValues() {
    Bundle a = b(1, 2, 3, 4, Float.NaN, 6, 7);
    assertEquals(false, a.allFinite());
    assertEquals("alpha", a.firstNonFiniteTensor());
  }
}
