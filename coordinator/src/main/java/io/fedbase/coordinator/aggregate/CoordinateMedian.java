package io.fedbase.coordinator.aggregate;

/**
 * The coordinate-wise median of the uploads (Yin et al. 2018, "Byzantine-robust distributed
 * learning: towards optimal statistical rates"): for every coordinate, the middle of the k values,
 * or the mean of the two middle ones when k is even. Unweighted: a node's task count does not count,
 * since a weight a node declares itself would let one Byzantine node buy the median. Fewer than
 * half of the uploads, however large, cannot move it outside the range of the honest values.
 */
public record CoordinateMedian() implements CoordinateRule {

  @Override
  public float reduce(float[] values, int from, int count) {
    int half = count / 2;
    float upper = FloatSelection.select(values, from, from + count, half);
    if (count % 2 == 1) {
      return upper;
    }
    // select left the lower half before the upper middle: its largest is the lower middle
    float lower = FloatSelection.max(values, from, from + half);
    return (float) (((double) lower + upper) / 2);
  }

  @Override
  public String toString() {
    return "median";
  }
}
