package io.fedbase.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DoubleFoldTest {

  @Test
  void theTestJvmRunsTheVectorFoldAsTheCoordinatorDoes() {
    assertTrue(DoubleFold.vector().isPresent(), "surefire's argLine adds jdk.incubator.vector, so the vector fold must load");
    assertSame(DoubleFold.vector().get(), DoubleFold.fastest());
    assertTrue(DoubleFold.fastest().name().startsWith("vector-"), DoubleFold.fastest().name());
  }

  @Test
  void vectorAndScalarFoldsGiveBitForBitTheSameSums() {
    DoubleFold vector = DoubleFold.vector().orElseThrow();
    Random random = new Random(5);
    // lengths around the lane counts (2..16), offsets that misalign both arrays, weights of all sizes
    for (int n : new int[] {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 4099}) {
      float[] values = new float[n + 11];
      double[] a = new double[n + 5];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(13) - 6));
      }
      for (int i = 0; i < a.length; i++) {
        a[i] = random.nextGaussian();
      }
      double[] b = a.clone();
      for (double weight : new double[] {1, 0.37, 3e-7, 12345.678}) {
        DoubleFold.scalar().addScaled(a, 3, values, 7, n, weight);
        vector.addScaled(b, 3, values, 7, n, weight);
        assertArrayEquals(a, b, 0.0, "n = " + n + ", weight " + weight);
      }
      assertEquals(a[0], b[0], 0.0, "nothing before the slice");
      float[] scalarMean = new float[a.length];
      float[] vectorMean = new float[a.length];
      DoubleFold.scalar().divideInto(a, 7.3, scalarMean);
      vector.divideInto(a, 7.3, vectorMean);
      assertArrayEquals(scalarMean, vectorMean, 0f, "mean of n = " + n);
    }
  }

  @Test
  void sumsOfSquaresAgreeAndANonFiniteValueMakesThemNonFinite() {
    DoubleFold vector = DoubleFold.vector().orElseThrow();
    Random random = new Random(6);
    for (int n : new int[] {0, 1, 7, 8, 9, 17, 1000, 8192}) {
      float[] values = new float[n + 3];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      double scalar = DoubleFold.scalar().sumOfSquares(values, 2, n);
      assertEquals(scalar, vector.sumOfSquares(values, 2, n), 1e-12 * Math.max(1, scalar), "n = " + n);
      if (n > 0) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
          float[] broken = values.clone();
          broken[2 + random.nextInt(n)] = bad;
          assertTrue(Double.isNaN(vector.sumOfSquares(broken, 2, n)) || Double.isInfinite(vector.sumOfSquares(broken, 2, n)), "vector, " + bad);
          assertTrue(!Double.isFinite(DoubleFold.scalar().sumOfSquares(broken, 2, n)), "scalar, " + bad);
        }
      }
    }
    float[] largest = new float[8192];
    java.util.Arrays.fill(largest, Float.MAX_VALUE);
    assertTrue(Double.isFinite(vector.sumOfSquares(largest, 0, largest.length)), "the largest floats' squares do not overflow");
  }

  @Test
  void aWeightedSumIsTheSameWithEitherFold() {
    BundleLayout layout = new BundleLayout("fold", java.util.List.of(io.fedbase.space.TensorSpec.weight("w", 999)));
    WeightedSum scalar = new WeightedSum(layout, DoubleFold.scalar());
    WeightedSum vector = new WeightedSum(layout, DoubleFold.vector().orElseThrow());
    Random random = new Random(9);
    for (int k = 0; k < 5; k++) {
      float[] v = new float[999];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) random.nextGaussian();
      }
      scalar.add(Bundle.of(layout, v), k + 1);
      vector.addSlice(0, java.nio.FloatBuffer.wrap(v), k + 1);
      vector.added(k + 1);
    }
    assertArrayEquals(scalar.result().toArray(), vector.result().toArray(), 0f);
  }
}
