package io.fedbase.coordinator.aggregate;

/**
 * The coordinate-wise β-trimmed mean (Yin et al. 2018, "Byzantine-robust distributed learning:
 * towards optimal statistical rates"): for every coordinate, drop the ⌊βk⌋ largest and the ⌊βk⌋
 * smallest of the k values and average the rest. Unweighted, like the median, so a self-declared
 * task count cannot buy influence. Tolerates up to ⌊βk⌋ arbitrary uploads; with few uploads ⌊βk⌋
 * may be 0 and nothing is trimmed (0.3 trims one from each end from k = 4 on).
 *
 * @param fraction β, in [0, 0.5) so at least one value always remains
 */
public record TrimmedMean(double fraction) implements CoordinateRule {

  public TrimmedMean {
    if (!(fraction >= 0 && fraction < 0.5)) {
      throw new IllegalArgumentException("the trimmed-mean fraction must be in [0, 0.5), got " + fraction);
    }
  }

  /** Values dropped from each end of a column of {@code count}. */
  public int trimmed(int count) {
    // the nudge keeps a decimal β exact: 0.29 * 100 is 28.999999999999996 in double, and must trim 29
    return (int) Math.floor(fraction * count + 1e-9);
  }

  @Override
  public float reduce(float[] values, int from, int count) {
    int cut = trimmed(count);
    int to = from + count;
    if (cut > 0) {
      // the cut smallest end up before from + cut, then the cut largest after to - cut
      FloatSelection.select(values, from, to, cut);
      FloatSelection.select(values, from + cut, to, count - 2 * cut - 1);
    }
    double sum = 0;
    for (int i = from + cut; i < to - cut; i++) {
      sum += values[i];
    }
    return (float) (sum / (count - 2 * cut));
  }

  @Override
  public String toString() {
    return "trimmed-mean:" + fraction;
  }
}
