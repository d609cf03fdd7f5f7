package io.fedbase.learn;

/**
 * Mean and a two-sided 95% confidence interval of paired per-task differences (Student t).
 *
 * @param mean mean difference
 * @param low lower end of the 95% interval
 * @param high upper end of the 95% interval
 * @param n number of pairs
 */
public record PairedStats(double mean, double low, double high, int n) {

  /** Statistics of {@code a[i] - b[i]}. */
  public static PairedStats of(double[] a, double[] b) {
    if (a.length != b.length || a.length < 2) {
      throw new IllegalArgumentException("need at least two pairs of equal length");
    }
    int n = a.length;
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += a[i] - b[i];
    }
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; i++) {
      double d = a[i] - b[i] - mean;
      var += d * d;
    }
    var /= n - 1;
    double half = tQuantile975(n - 1) * Math.sqrt(var / n);
    return new PairedStats(mean, mean - half, mean + half, n);
  }

  /** Mean of {@code v}. */
  public static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return v.length == 0 ? Double.NaN : s / v.length;
  }

  /**
   * The 0.975 quantile of Student's t with {@code df} degrees of freedom, by the Cornish-Fisher
   * expansion around the normal quantile (error below 1e-3 for df >= 3).
   */
  static double tQuantile975(int df) {
    if (df < 1) {
      throw new IllegalArgumentException("degrees of freedom must be positive");
    }
    if (df == 1) {
      return 12.706;
    }
    if (df == 2) {
      return 4.303;
    }
    double z = 1.959963985;
    double z3 = z * z * z;
    double z5 = z3 * z * z;
    double z7 = z5 * z * z;
    double z9 = z7 * z * z;
    double v = df;
    return z
        + (z3 + z) / (4 * v)
        + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
        + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
  }

  /** True if the whole interval lies above zero. */
  public boolean aboveZero() {
    return low > 0;
  }
}
