package io.fedbase.coordinator.aggregate;

import java.util.Arrays;

/**
 * Order statistics of a float range in place, in expected linear time: the robust rules need one
 * or two ranks per coordinate, not a sorted column.
 */
final class FloatSelection {

  /** Up to this many values a sort is cheaper than partitioning (and it settles every rank at once). */
  static final int SORT_UP_TO = 64;

  private FloatSelection() {}

  /**
   * Rearranges {@code a[from, to)} so that {@code a[from + rank]} holds the value of that rank (0 is
   * the smallest), everything before it is {@code <=} it and everything after it {@code >=}; returns
   * that value. Values must not be NaN (uploads are checked finite on arrival).
   */
  static float select(float[] a, int from, int to, int rank) {
    if (rank < 0 || rank >= to - from) {
      throw new IllegalArgumentException("rank " + rank + " outside a range of " + (to - from) + " values");
    }
    int target = from + rank;
    int lo = from;
    int hi = to - 1;
    while (hi - lo + 1 > SORT_UP_TO) {
      // Median of three as pivot: sorted or constant columns (identical uploads) stay linear.
      float pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          float t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      // Now a[lo..j] <= pivot <= a[i..hi], and anything strictly between j and i equals the pivot.
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return a[target];
      }
    }
    Arrays.sort(a, lo, hi + 1);
    return a[target];
  }

  /** The largest of {@code a[from, to)}. */
  static float max(float[] a, int from, int to) {
    float m = a[from];
    for (int i = from + 1; i < to; i++) {
      if (a[i] > m) {
        m = a[i];
      }
    }
    return m;
  }

  private static float medianOfThree(float x, float y, float z) {
    return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
  }
}
