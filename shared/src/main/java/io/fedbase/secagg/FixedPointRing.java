package io.fedbase.secagg;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.SplittableRandom;

/**
 * Fixed-point encoding of clipped float deltas into the ring Z_{2^32}, where Java's {@code int}
 * arithmetic already wraps, so masks that are uniform mod 2^32 cancel exactly.
 *
 * <p>The overflow rule: with at most {@code k} participants and every coordinate bounded by
 * {@code clip}, each value is encoded to an integer in {@code [-M, M]} with
 * {@code M = floor((2^31 - 1) / k)} and {@code scale = M / clip}. A sum of up to {@code k} such
 * integers lies in {@code [-(2^31 - 1), 2^31 - 1]}, so the wrapped int sum read back as a signed
 * 32-bit value is the true sum. An L2 clip bounds every coordinate, so {@code clip} is the L2
 * bound; values beyond it (float rounding in the caller's clip) saturate at {@code ±M}.
 *
 * <p>Rounding is stochastic (up with probability equal to the fractional part) so the encoding is
 * unbiased; each encoded value is within {@code 1/scale} of its input, a decoded sum of {@code j}
 * vectors within {@code j/scale} of the true sum.
 */
public final class FixedPointRing {

  private final float clip;
  private final int maxParticipants;
  private final int bound;
  private final double scale;

  private FixedPointRing(float clip, int maxParticipants, int bound) {
    this.clip = clip;
    this.maxParticipants = maxParticipants;
    this.bound = bound;
    this.scale = bound / (double) clip;
  }

  /** The ring for coordinates bounded by {@code clip} summed over at most {@code maxParticipants}. */
  public static FixedPointRing forBound(float clip, int maxParticipants) {
    if (!(clip > 0) || Float.isInfinite(clip)) {
      throw new IllegalArgumentException("the clip bound must be positive and finite, got " + clip);
    }
    if (maxParticipants < 1) {
      throw new IllegalArgumentException("at least one participant, got " + maxParticipants);
    }
    return new FixedPointRing(clip, maxParticipants, Integer.MAX_VALUE / maxParticipants);
  }

  public float clip() {
    return clip;
  }

  public int maxParticipants() {
    return maxParticipants;
  }

  /** {@code M}: the largest magnitude one encoded value takes. */
  public int bound() {
    return bound;
  }

  /** Integer units per unit of the delta. */
  public double scale() {
    return scale;
  }

  /** The largest error a decoded sum of {@code count} vectors has per coordinate. */
  public double sumErrorBound(int count) {
    return count / scale;
  }

  /**
   * Encodes {@code values.remaining()} floats into {@code out}, advancing both buffers.
   *
   * @throws IllegalArgumentException on a NaN or infinite value (nothing sensible to encode)
   */
  public void encode(FloatBuffer values, IntBuffer out, SplittableRandom random) {
    int n = values.remaining();
    if (out.remaining() < n) {
      throw new IllegalArgumentException(n + " values do not fit in " + out.remaining() + " ints");
    }
    int in = values.position();
    int at = out.position();
    if (values.hasArray() && out.hasArray()) {
      float[] v = values.array();
      int[] o = out.array();
      int vo = values.arrayOffset() + in;
      int oo = out.arrayOffset() + at;
      for (int i = 0; i < n; i++) {
        o[oo + i] = encode(v[vo + i], random);
      }
    } else {
      for (int i = 0; i < n; i++) {
        out.put(at + i, encode(values.get(in + i), random));
      }
    }
    values.position(in + n);
    out.position(at + n);
  }

  /** One value, stochastically rounded and saturated at {@code ±M}. */
  public int encode(float value, SplittableRandom random) {
    if (!(Math.abs(value) <= clip)) {
      return outsideClip(value); // rare: kept off the hot path, which is then branch-free
    }
    // floor(x + u), u uniform in [0, 1): rounds up with probability frac(x)
    int q = (int) Math.floor(value * scale + random.nextDouble());
    // at |x| = M the addition itself can round up to M + 1
    return Math.min(bound, Math.max(-bound, q));
  }

  private int outsideClip(float value) {
    if (!Float.isFinite(value)) {
      throw new IllegalArgumentException("cannot encode " + value);
    }
    return value > 0 ? bound : -bound;
  }

  /** A sum of encoded values back as a float: the int read as signed 32-bit, divided by scale. */
  public float decode(int sum) {
    return (float) (sum / scale);
  }

  /** Decodes {@code sums.remaining()} ints into {@code out}, advancing both buffers. */
  public void decode(IntBuffer sums, FloatBuffer out) {
    int n = sums.remaining();
    if (out.remaining() < n) {
      throw new IllegalArgumentException(n + " sums do not fit in " + out.remaining() + " floats");
    }
    int in = sums.position();
    int at = out.position();
    for (int i = 0; i < n; i++) {
      out.put(at + i, decode(sums.get(in + i)));
    }
    sums.position(in + n);
    out.position(at + n);
  }

  @Override
  public String toString() {
    return "FixedPointRing[clip=" + clip + ", maxParticipants=" + maxParticipants + ", bound=" + bound + ", scale=" + scale + "]";
  }
}
