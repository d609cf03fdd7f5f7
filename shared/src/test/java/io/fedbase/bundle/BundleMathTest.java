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

  @Test
  void slicesFromAnyBufferSumLikeWholeDeltas() {
    BundleLayout layout =
        new BundleLayout("slices", List.of(TensorSpec.weight("a", 10_000), TensorSpec.logits("b", 3, 7)));
    java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
    float[] x = new float[layout.totalSize()];
    float[] y = new float[layout.totalSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
      y[i] = (float) rng.nextGaussian();
    }
    WeightedSum whole = new WeightedSum(layout);
    whole.add(Bundle.of(layout, x), 2);
    whole.add(Bundle.of(layout, y), 3);
    WeightedSum sliced = new WeightedSum(layout);
    java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(x.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    direct.asFloatBuffer().put(x);
    java.nio.FloatBuffer fx = direct.asFloatBuffer();
    sliced.addSlice(0, fx.duplicate().limit(10_000), 2);
    sliced.addSlice(10_000, fx.duplicate().position(10_000), 2);
    sliced.added(2);
    java.nio.ByteBuffer big = java.nio.ByteBuffer.allocate(y.length * 4).order(java.nio.ByteOrder.BIG_ENDIAN);
    big.asFloatBuffer().put(y);
    sliced.addSlice(0, big.asFloatBuffer(), 3);
    sliced.added(3);
    assertArrayEquals(whole.result().toArray(), sliced.result().toArray(), 0f);
    assertEquals(2, sliced.count());
    assertThrows(IllegalArgumentException.class, () -> sliced.addSlice(10_010, java.nio.FloatBuffer.wrap(new float[20]), 1));
    assertThrows(IllegalArgumentException.class, () -> sliced.added(0));
  }
}
