package io.fedbase.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DeltaAccumulator;
import io.fedbase.space.TensorSpec;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GaussianMechanismTest {

  private final BundleLayout layout = new BundleLayout("spec", List.of(TensorSpec.weight("w", 200, 100), TensorSpec.logits("alpha", 2, 9, 5)));

  private Bundle delta(double weightNorm, double logitNorm, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[layout.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    Bundle b = Bundle.of(layout, v);
    return Bundle.zeros(layout).plusScaled(b, (float) (weightNorm / b.norm(false)), (float) (logitNorm / b.norm(true)));
  }

  @Test
  void eachPartIsClippedToItsOwnBoundAndSmallDeltasAreLeftAlone() {
    Bundle big = GaussianMechanism.clip(delta(5, 0.3, 1), 1.0, 0.1);
    assertEquals(1.0, big.norm(false), 1e-5);
    assertEquals(0.1, big.norm(true), 1e-6);
    Bundle onlyLogits = GaussianMechanism.clip(delta(0.5, 0.3, 2), 1.0, 0.1);
    assertEquals(0.5, onlyLogits.norm(false), 1e-5);
    assertEquals(0.1, onlyLogits.norm(true), 1e-6);
    Bundle small = delta(0.5, 0.05, 3);
    assertSame(small, GaussianMechanism.clip(small, 1.0, 0.1));
    assertEquals(Math.hypot(1.0, 0.1), GaussianMechanism.sensitivity(1.0, 0.1), 1e-12);
  }

  @Test
  void aNodesNoiseShareHasTheStandardDeviationItWasGiven() {
    PrivacyTerms terms = new PrivacyTerms(1.0, 0.1, 0.02);
    Bundle zero = Bundle.zeros(layout);
    float[] noised = terms.apply(zero, new SplittableRandom(4)).toArray();
    double squares = 0;
    for (float v : noised) {
      squares += v * v;
    }
    assertEquals(0.02, Math.sqrt(squares / noised.length), 0.02 * 0.02);
    assertThrows(IllegalArgumentException.class, () -> new PrivacyTerms(0, 0.1, 0));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyTerms(1, 0.1, Double.NaN));
  }

  /** k identical clipped deltas: the private mean is that delta plus noise of σ·sensitivity/k. */
  @Test
  void thePrivateMeanCountsEveryNodeAlikeAndNoisesTheSum() {
    double sigma = 0.5;
    DeltaAccumulator acc = new PrivateMean(1.0, 0.1, sigma, new SplittableRandom(5)).newAccumulator(layout);
    Bundle d = delta(3, 0.2, 6);
    for (int i = 0; i < 4; i++) {
      acc.add(d, 1 + i);
    }
    float[] clipped = GaussianMechanism.clip(d, 1.0, 0.1).toArray();
    float[] result = acc.result().toArray();
    double squares = 0;
    for (int i = 0; i < result.length; i++) {
      squares += (result[i] - clipped[i]) * (result[i] - clipped[i]);
    }
    double expected = sigma * Math.hypot(1.0, 0.1) / 4;
    assertEquals(expected, Math.sqrt(squares / result.length), 0.03 * expected);
    DeltaAccumulator none = new PrivateMean(1.0, 0.1, 0, new SplittableRandom(5)).newAccumulator(layout);
    none.add(d, 3);
    none.add(d, 1);
    float[] mean = none.result().toArray();
    for (int i = 0; i < mean.length; i++) {
      assertEquals(clipped[i], mean[i], 1e-6f);
    }
  }
}
