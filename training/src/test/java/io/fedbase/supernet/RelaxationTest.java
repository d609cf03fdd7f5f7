package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.meta.Relaxation;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RelaxationTest {

  @Test
  void gumbelNoiseHasTheGumbelMeanAndVariance() {
    float[] g = RelaxationSampling.gumbelNoise(200_000, new SplittableRandom(1));
    double mean = 0;
    for (float v : g) {
      mean += v;
    }
    mean /= g.length;
    double var = 0;
    for (float v : g) {
      var += (v - mean) * (v - mean);
    }
    var /= g.length - 1;
    assertEquals(0.5772156649, mean, 0.01, "Euler-Mascheroni constant");
    assertEquals(Math.PI * Math.PI / 6, var, 0.03);
  }

  @Test
  void argmaxOfPerturbedLogitsFollowsTheirSoftmax() {
    // The Gumbel-max trick: argmax(alpha + g) ~ Categorical(softmax(alpha)).
    double[] alpha = {0.0, 1.0, -1.0, 0.5};
    double z = 0;
    for (double a : alpha) {
      z += Math.exp(a);
    }
    int n = 100_000;
    int[] counts = new int[alpha.length];
    SplittableRandom rng = new SplittableRandom(2);
    for (int i = 0; i < n; i++) {
      float[] g = RelaxationSampling.gumbelNoise(alpha.length, rng);
      int best = 0;
      for (int k = 1; k < alpha.length; k++) {
        if (alpha[k] + g[k] > alpha[best] + g[best]) {
          best = k;
        }
      }
      counts[best]++;
    }
    for (int k = 0; k < alpha.length; k++) {
      assertEquals(Math.exp(alpha[k]) / z, counts[k] / (double) n, 0.01, "op " + k);
    }
  }

  @Test
  void softSamplesAreDistributionsThatSharpenAsTemperatureFalls() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray alpha = m.create(new float[] {0, 1, -1, 0.5f, 0, 0, 0, 0}, new Shape(2, 4));
      SplittableRandom rng = new SplittableRandom(3);
      double maxHot = 0;
      double maxCold = 0;
      int draws = 200;
      for (int i = 0; i < draws; i++) {
        float[] hot = RelaxationSampling.sample(Relaxation.GUMBEL_SOFTMAX, alpha, 5f, rng, m).toFloatArray();
        float[] cold = RelaxationSampling.sample(Relaxation.GUMBEL_SOFTMAX, alpha, 0.1f, rng, m).toFloatArray();
        assertEquals(1.0, hot[0] + hot[1] + hot[2] + hot[3], 1e-5);
        assertEquals(1.0, cold[4] + cold[5] + cold[6] + cold[7], 1e-5);
        maxHot += max(hot, 0);
        maxCold += max(cold, 0);
      }
      assertTrue(maxCold / draws > 0.9, "near one-hot at tau 0.1: " + maxCold / draws);
      assertTrue(maxHot / draws < 0.5, "near uniform at tau 5: " + maxHot / draws);
    }
  }

  @Test
  void plainSoftmaxIsDeterministic() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray alpha = m.create(new float[] {0, (float) Math.log(3)}, new Shape(1, 2));
      float[] w = RelaxationSampling.sample(Relaxation.SOFTMAX, alpha, 1f, new SplittableRandom(1), m).toFloatArray();
      assertEquals(0.25f, w[0], 1e-6f);
      assertEquals(0.75f, w[1], 1e-6f);
    }
  }

  @Test
  void hardSamplesAreOneHotForwardAndPassSoftGradientsBack() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray alpha = m.create(new float[] {0.2f, 0.1f, -0.3f}, new Shape(1, 3));
      alpha.setRequiresGradient(true);
      NDArray target = m.create(new float[] {1f, 2f, 3f}, new Shape(1, 3));
      float[] sample;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray w = RelaxationSampling.sample(Relaxation.GUMBEL_HARD, alpha, 1f, new SplittableRandom(4), m);
        sample = w.toFloatArray();
        gc.backward(w.mul(target).sum());
      }
      int ones = 0;
      for (float v : sample) {
        assertTrue(v == 0f || Math.abs(v - 1f) < 1e-6, "value " + v);
        ones += v > 0.5f ? 1 : 0;
      }
      assertEquals(1, ones);
      float[] grad = alpha.getGradient().toFloatArray();
      assertTrue(Math.abs(grad[0]) + Math.abs(grad[1]) + Math.abs(grad[2]) > 1e-4, "straight-through gradient");
    }
  }

  private static double max(float[] v, int from) {
    double best = v[from];
    for (int i = from; i < from + 4; i++) {
      best = Math.max(best, v[i]);
    }
    return best;
  }
}
