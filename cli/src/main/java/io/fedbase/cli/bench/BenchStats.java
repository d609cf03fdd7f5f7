package io.fedbase.cli.bench;

import java.util.Arrays;

/** Summary statistics the benchmarks report. */
public final class BenchStats {

  private BenchStats() {}

  /** The middle value (the upper one of an even count). */
  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** The nearest-rank {@code q}-quantile (0 < q <= 1) of {@code v}. */
  static double quantile(double[] v, double q) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[(int) Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))];
  }
}
