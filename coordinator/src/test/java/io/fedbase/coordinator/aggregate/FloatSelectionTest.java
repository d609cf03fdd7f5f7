package io.fedbase.coordinator.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatSelectionTest {

  @Test
  void selectsEveryRankAndPartitionsAroundIt() {
    Random random = new Random(2);
    for (int n : new int[] {1, 2, 5, 64, 65, 100, 257, 1000}) {
      for (int trial = 0; trial < 20; trial++) {
        // few distinct values on odd trials: ties must not break the partition or loop forever
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
          values[i] = trial % 2 == 1 ? random.nextInt(4) : (float) random.nextGaussian();
        }
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = random.nextInt(n);
        // inside a larger array, as the block matrix is
        float[] a = new float[n + 6];
        Arrays.fill(a, Float.NaN);
        System.arraycopy(values, 0, a, 3, n);
        float v = FloatSelection.select(a, 3, 3 + n, rank);
        assertEquals(sorted[rank], v, "n=" + n + " rank=" + rank);
        assertEquals(v, a[3 + rank]);
        for (int i = 3; i < 3 + n; i++) {
          assertTrue(i < 3 + rank ? a[i] <= v : a[i] >= v, "partitioned at " + i);
        }
        float[] rest = Arrays.copyOfRange(a, 3, 3 + n);
        Arrays.sort(rest);
        assertTrue(Arrays.equals(sorted, rest), "a permutation of the range");
        assertTrue(Float.isNaN(a[2]) && Float.isNaN(a[3 + n]), "nothing outside the range touched");
      }
    }
  }

  @Test
  void sortedAndConstantColumns() {
    float[] ascending = new float[500];
    for (int i = 0; i < ascending.length; i++) {
      ascending[i] = i;
    }
    assertEquals(250f, FloatSelection.select(ascending, 0, 500, 250));
    float[] constant = new float[500];
    Arrays.fill(constant, 3f);
    assertEquals(3f, FloatSelection.select(constant, 0, 500, 17));
    assertThrows(IllegalArgumentException.class, () -> FloatSelection.select(constant, 0, 10, 10));
  }
}
