package io.fedbase.privacy;

/**
 * Log-space arithmetic for the accountant: a number {@code x ≥ 0} is carried as {@code log x}, with
 * zero as {@code -∞}, so that sums of terms spanning hundreds of orders of magnitude neither
 * overflow nor underflow.
 */
final class LogMath {

  private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  /** Below this argument erfc is 1 − erf from the power series; above, from the continued fraction. */
  private static final double SERIES_LIMIT = 2.5;

  private LogMath() {}

  /** {@code log(e^a + e^b)}. */
  static double add(double a, double b) {
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /**
   * {@code log(e^a - e^b)} for {@code a ≥ b}.
   *
   * @throws ArithmeticException if {@code a < b}: the difference would be negative, which in the
   *     accountant means the series lost its precision
   */
  static double sub(double a, double b) {
    if (a < b) {
      throw new ArithmeticException(
          "log-space subtraction would go negative (" + a + " - " + b + "): precision lost");
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    // e^a - e^b = e^a (1 - e^(b-a)); stable for every gap, no overflow of e^(a-b)
    return a + Math.log(-Math.expm1(b - a));
  }

  /**
   * {@code log(erfc(x))}, accurate to a few units in the 13th significant digit of erfc for
   * moderate x and, through the continued fraction kept in log space, for x far in the tail where
   * erfc itself underflows.
   */
  static double logErfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x < 0) {
      // erfc(x) = 2 - erfc(-x), between 1 and 2: no precision problem
      return Math.log(2.0 - Math.exp(logErfc(-x)));
    }
    if (x < SERIES_LIMIT) {
      return Math.log1p(-erfSeries(x));
    }
    if (x == Double.POSITIVE_INFINITY) {
      return Double.NEGATIVE_INFINITY;
    }
    return -x * x - LOG_SQRT_PI - Math.log(continuedFraction(x));
  }

  /**
   * erf(x) for 0 ≤ x < {@link #SERIES_LIMIT} by the all-positive series
   * {@code erf(x) = 2/√π · e^(−x²) · Σ_n (2x²)^n · x / (1·3·…·(2n+1))}.
   */
  private static double erfSeries(double x) {
    double twoX2 = 2.0 * x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 500; n++) {
      term *= twoX2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }

  /**
   * The continued fraction {@code g(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))}, with
   * {@code erfc(x) = e^(−x²) / (√π · g(x))}, evaluated by the modified Lentz method. All partial
   * numerators and denominators are positive for x > 0, so no zero-denominator guard is needed.
   */
  private static double continuedFraction(double x) {
    double f = x;
    double c = x;
    double d = 0.0;
    for (int n = 1; n < 10_000; n++) {
      double a = 0.5 * n;
      d = 1.0 / (x + a * d);
      c = x + a / c;
      double step = c * d;
      f *= step;
      if (Math.abs(step - 1.0) < 1e-16) {
        return f;
      }
    }
    return f;
  }
}
