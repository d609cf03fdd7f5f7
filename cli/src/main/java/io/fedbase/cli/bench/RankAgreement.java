package io.fedbase.cli.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * How well one ranking of items agrees with another, with a percentile bootstrap interval over the
 * items (resampled with replacement; resamples whose values are all tied on one side are skipped).
 *
 * @param value the coefficient on all items
 * @param low lower end of the 95% interval
 * @param high upper end of the 95% interval
 * @param items how many items
 */
public record RankAgreement(double value, double low, double high, int items) {

  /** Kendall's tau-b (ties counted as in commons-math). */
  public static RankAgreement kendall(double[] a, double[] b, int resamples, long seed) {
    return of(a, b, resamples, seed, (x, y) -> new KendallsCorrelation().correlation(x, y));
  }

  /** Spearman's rho. */
  public static RankAgreement spearman(double[] a, double[] b, int resamples, long seed) {
    return of(a, b, resamples, seed, (x, y) -> new SpearmansCorrelation().correlation(x, y));
  }

  private static RankAgreement of(double[] a, double[] b, int resamples, long seed, BiFunction<double[], double[], Double> coefficient) {
    if (a.length != b.length || a.length < 3) {
      throw new IllegalArgumentException("rank agreement needs at least three pairs, got " + a.length + " and " + b.length);
    }
    int n = a.length;
    double value = coefficient.apply(a, b);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] draws = new double[resamples];
    int kept = 0;
    double[] x = new double[n];
    double[] y = new double[n];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        int k = rng.nextInt(n);
        x[i] = a[k];
        y[i] = b[k];
      }
      double c = coefficient.apply(x, y);
      if (!Double.isNaN(c)) {
        draws[kept++] = c;
      }
    }
    if (kept == 0) {
      return new RankAgreement(value, Double.NaN, Double.NaN, n);
    }
    double[] sorted = Arrays.copyOf(draws, kept);
    Arrays.sort(sorted);
    return new RankAgreement(value, sorted[(int) Math.floor(0.025 * (kept - 1))], sorted[(int) Math.ceil(0.975 * (kept - 1))], n);
  }
}
