package io.fedbase.cli;

import java.util.Arrays;

/** Summary statistics the benchmarks report. */
final class BenchStats {

  private BenchStats() {}

  /** The middle value (the upper one of an even count). */
  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
