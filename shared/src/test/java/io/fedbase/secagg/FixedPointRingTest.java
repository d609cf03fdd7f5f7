package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FixedPointRingTest {

  @Test
  void scaleFollowsTheOverflowRule() {
    FixedPointRing ring = FixedPointRing.forBound(2.5f, 10);
    assertEquals(Integer.MAX_VALUE / 10, ring.bound());
    assertEquals(ring.bound() / 2.5, ring.scale(), 0);
    assertEquals(10 / ring.scale(), ring.sumErrorBound(10), 0);
    assertThrows(IllegalArgumentException.class, () -> FixedPointRing.forBound(0f, 3));
    assertThrows(IllegalArgumentException.class, () -> FixedPointRing.forBound(Float.NaN, 3));
    assertThrows(IllegalArgumentException.class, () -> FixedPointRing.forBound(1f, 0));
  }

  @Test
  void aSumOfMaxParticipantsExtremeValuesDoesNotOverflowButOneMoreWould() {
    int k = 10;
    float clip = 1.5f;
    FixedPointRing ring = FixedPointRing.forBound(clip, k);
    SplittableRandom random = new SplittableRandom(1);
    for (float extreme : new float[] {clip, -clip}) {
      int q = ring.encode(extreme, random);
      assertEquals(Math.signum(extreme) * ring.bound(), q, 0, "the clip encodes to the bound");
      int sum = 0;
      for (int i = 0; i < k; i++) {
        sum += ring.encode(extreme, random);
      }
      assertEquals((long) k * q, sum, "k values at the clip sum without wrapping");
      assertEquals(k * extreme, ring.decode(sum), ring.sumErrorBound(k) + Math.ulp(k * clip));
      // the rule is what keeps the sum in range: one participant more wraps the int around
      long oneMore = (long) (k + 1) * q;
      assertTrue(oneMore > Integer.MAX_VALUE || oneMore < Integer.MIN_VALUE);
      assertTrue(Math.signum(sum + q) != Math.signum(extreme), "k+1 extreme values overflow");
    }
    // float rounding in the caller's clip may overshoot by an ulp: it saturates instead of wrapping
    assertEquals(ring.bound(), ring.encode(Math.nextUp(clip), random));
    assertEquals(-ring.bound(), ring.encode(-3 * clip, random));
    assertThrows(IllegalArgumentException.class, () -> ring.encode(Float.NaN, random));
    assertThrows(IllegalArgumentException.class, () -> ring.encode(Float.NEGATIVE_INFINITY, random));
  }

  @Test
  void stochasticRoundingIsUnbiased() {
    FixedPointRing ring = FixedPointRing.forBound(1f, 4);
    float v = (float) (5.25 / ring.scale());
    double exact = v * ring.scale();
    SplittableRandom random = new SplittableRandom(7);
    int trials = 200_000;
    long total = 0;
    for (int i = 0; i < trials; i++) {
      int q = ring.encode(v, random);
      assertTrue(q == Math.floor(exact) || q == Math.floor(exact) + 1, "rounds to a neighbour only");
      total += q;
    }
    double mean = total / (double) trials;
    // sd of one rounding is at most 0.5, of the mean 0.5/sqrt(trials) ≈ 0.0011
    assertEquals(exact, mean, 0.006);
  }

  @Test
  void decodedSumsStayWithinTheQuantizationBound() {
    int k = 7;
    int n = 50_000;
    float clip = 0.8f;
    FixedPointRing ring = FixedPointRing.forBound(clip, k);
    SplittableRandom data = new SplittableRandom(3);
    double[] exact = new double[n];
    int[] sums = new int[n];
    for (int j = 0; j < k; j++) {
      float[] delta = new float[n];
      for (int i = 0; i < n; i++) {
        delta[i] = (float) ((data.nextDouble() * 2 - 1) * clip);
        exact[i] += delta[i];
      }
      IntBuffer encoded = IntBuffer.allocate(n);
      FloatBuffer in = FloatBuffer.wrap(delta);
      // in three slices, as an upload would stream it
      SplittableRandom rounding = new SplittableRandom(j);
      for (int at = 0; at < n; at += 20_000) {
        ring.encode(in.duplicate().position(at).limit(Math.min(n, at + 20_000)), encoded, rounding);
      }
      assertEquals(n, encoded.position());
      for (int i = 0; i < n; i++) {
        sums[i] += encoded.get(i);
      }
    }
    FloatBuffer decoded = FloatBuffer.allocate(n);
    IntBuffer sumBuffer = IntBuffer.wrap(sums);
    ring.decode(sumBuffer, decoded);
    assertEquals(n, sumBuffer.position());
    assertEquals(n, decoded.position());
    double bound = ring.sumErrorBound(k);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double err = Math.abs(decoded.get(i) - exact[i]);
      worst = Math.max(worst, err);
      assertTrue(err <= bound + Math.ulp((float) (k * clip)), "coordinate " + i + ": error " + err + " > " + bound);
    }
    assertTrue(worst > 0, "the quantization is not exact");
  }

  @Test
  void refusesAnOutputTooSmall() {
    FixedPointRing ring = FixedPointRing.forBound(1f, 2);
    assertThrows(IllegalArgumentException.class, () -> ring.encode(FloatBuffer.allocate(4), IntBuffer.allocate(3), new SplittableRandom()));
    assertThrows(IllegalArgumentException.class, () -> ring.decode(IntBuffer.allocate(4), FloatBuffer.allocate(3)));
  }
}
