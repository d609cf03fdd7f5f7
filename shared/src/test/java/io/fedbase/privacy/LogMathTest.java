package io.fedbase.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LogMathTest {

  @Test
  void logErfcMatchesTabulatedValues() {
    // erfc to 17+ digits, as tabulated (Abramowitz & Stegun, Table 7.1, and any CAS)
    double[][] table = {
      {-1.0, 1.8427007929497148693},
      {0.5, 0.47950012218695346232},
      {1.0, 0.15729920705028513066},
      {2.0, 0.0046777349810472658379},
      {2.5, 0.00040695201744495893956},
      {3.0, 2.2090496998585441373e-5},
      {5.0, 1.5374597944280348502e-12},
      {10.0, 2.088487583762544757e-45},
    };
    for (double[] row : table) {
      double expected = Math.log(row[1]);
      assertEquals(expected, LogMath.logErfc(row[0]), 1e-13 * Math.max(1, Math.abs(expected)), "x = " + row[0]);
    }
    assertEquals(0.0, LogMath.logErfc(0.0), 0.0);
    assertEquals(Math.log(2), LogMath.logErfc(-40), 1e-15);
  }

  @Test
  void logErfcFarInTheTailWhereErfcUnderflows() {
    // erfc(x) = e^(-x²)/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + …), asymptotic for large x
    for (double x : new double[] {60, 100, 1e3, 1e4}) {
      double x2 = x * x;
      double series = 1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2);
      double expected = -x2 - Math.log(x * Math.sqrt(Math.PI)) + Math.log(series);
      assertEquals(expected, LogMath.logErfc(x), 1e-15 * x2, "x = " + x);
    }
    assertEquals(Double.NEGATIVE_INFINITY, LogMath.logErfc(Double.POSITIVE_INFINITY));
  }

  @Test
  void logErfcIsContinuousAcrossTheSeriesToFractionSwitch() {
    double below = LogMath.logErfc(Math.nextDown(2.5));
    double at = LogMath.logErfc(2.5);
    assertEquals(at, below, 1e-12);
  }

  @Test
  void logAddAndSub() {
    assertEquals(Math.log(5), LogMath.add(Math.log(2), Math.log(3)), 1e-15);
    assertEquals(Math.log(3), LogMath.add(Double.NEGATIVE_INFINITY, Math.log(3)), 0);
    assertEquals(1000 + Math.log1p(Math.exp(-1)), LogMath.add(999, 1000), 1e-12);
    assertEquals(Math.log(1), LogMath.sub(Math.log(3), Math.log(2)), 1e-15);
    assertEquals(Math.log(3), LogMath.sub(Math.log(3), Double.NEGATIVE_INFINITY), 0);
    assertEquals(Double.NEGATIVE_INFINITY, LogMath.sub(2.0, 2.0));
    assertEquals(5000.0, LogMath.sub(5000.0, 10.0), 1e-12); // e^4990 would overflow a direct ratio
    assertThrows(ArithmeticException.class, () -> LogMath.sub(1.0, 2.0));
  }
}
