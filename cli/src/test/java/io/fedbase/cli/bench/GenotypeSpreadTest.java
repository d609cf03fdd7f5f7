package io.fedbase.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GenotypeSpreadTest {

  @Test
  void aTwoByTwoTableByHand() {
    GenotypeSpread s = GenotypeSpread.of(new double[][] {{1, 2}, {3, 5}});
    assertArrayEquals(new double[] {1.5, 4}, s.means(), 1e-12);
    assertEquals(2.75, s.grandMean(), 1e-12);
    // genotype sum of squares 6.25 on 1 df, residual 0.25 on 1 df
    assertEquals(25, s.f(), 1e-9);
    // F(1, 1): P(F > x) = 1 - (2 / pi) atan(sqrt(x))
    assertEquals(1 - 2 / Math.PI * Math.atan(5), s.p(), 1e-9);
    assertEquals(2.5 / Math.sqrt(2), s.betweenSd(), 1e-12);
    assertEquals(0.5, s.noiseSd(), 1e-12);
    assertEquals(2.75 + 2.5 / Math.sqrt(2), s.bar(), 1e-12);
  }

  @Test
  void aSeedEffectSharedByEveryGenotypeIsNotSpread() {
    SplittableRandom rng = new SplittableRandom(1);
    double[] seedEffect = {0.02, -0.03, 0.01, 0.0};
    double[][] sameGenotypes = new double[10][4];
    double[][] differentGenotypes = new double[10][4];
    for (int g = 0; g < 10; g++) {
      for (int j = 0; j < 4; j++) {
        double noise = 0.002 * rng.nextGaussian();
        sameGenotypes[g][j] = 0.85 + seedEffect[j] + noise;
        differentGenotypes[g][j] = 0.80 + 0.01 * g + seedEffect[j] + noise;
      }
    }
    GenotypeSpread none = GenotypeSpread.of(sameGenotypes);
    assertFalse(none.widerThanNoise(), "p " + none.p());
    assertEquals(0.002, none.noiseSd(), 0.001);
    GenotypeSpread wide = GenotypeSpread.of(differentGenotypes);
    assertTrue(wide.widerThanNoise() && wide.p() < 1e-6, "p " + wide.p());
    assertEquals(0.01 * Math.sqrt(10 * 11 / 12.0), wide.betweenSd(), 0.002, "sd of 0.80, 0.81, ..., 0.89");
  }

  @Test
  void needsTwoGenotypesTwoSeedsAndAFullTable() {
    assertThrows(IllegalArgumentException.class, () -> GenotypeSpread.of(new double[][] {{1, 2}}));
    assertThrows(IllegalArgumentException.class, () -> GenotypeSpread.of(new double[][] {{1}, {2}}));
    assertThrows(IllegalArgumentException.class, () -> GenotypeSpread.of(new double[][] {{1, 2}, {3}}));
  }
}
