package io.fedbase.encoding;

/**
 * Bit-level conversions between float32 and the two 16-bit formats, with stochastic rounding
 * (Java 17 has no {@code Float.floatToFloat16}). Stochastic rounding picks the upper neighbour with
 * probability equal to the value's distance from the lower one, which makes the rounding unbiased.
 */
final class HalfFloats {

  private static final int HALF_MAX_FINITE = 0x7bff;

  private HalfFloats() {}

  /**
   * bfloat16 is float32's upper half: adding a uniform 16-bit number to the lower half before
   * truncating carries into the kept bits with exactly the right probability.
   */
  static short toBfloat16(float value, int random16) {
    int bits = Float.floatToRawIntBits(value);
    int rounded = bits + (random16 & 0xffff);
    // carrying into an all-ones exponent would turn a finite value infinite: truncate instead
    if ((rounded & 0x7f800000) == 0x7f800000 && (bits & 0x7f800000) != 0x7f800000) {
      rounded = bits;
    }
    return (short) (rounded >>> 16);
  }

  static float fromBfloat16(short half) {
    return Float.intBitsToFloat((half & 0xffff) << 16);
  }

  /**
   * IEEE half precision, rounded stochastically between the neighbours toward and away from zero;
   * finite values beyond the half range clamp to ±65504 (a delta that large is refused by norm
   * bounds long before it matters).
   */
  static short toFloat16(float value, float uniform01) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    float magnitude = Math.abs(value);
    if (Float.isNaN(value)) {
      return (short) (sign | 0x7e00);
    }
    if (Float.isInfinite(value)) {
      return (short) (sign | 0x7c00);
    }
    int lower = truncatedHalfMagnitude(magnitude);
    if (lower >= HALF_MAX_FINITE) {
      return (short) (sign | HALF_MAX_FINITE);
    }
    float low = fromFloat16((short) lower);
    float high = fromFloat16((short) (lower + 1));
    float fraction = (magnitude - low) / (high - low);
    int chosen = uniform01 < fraction ? lower + 1 : lower;
    return (short) (sign | chosen);
  }

  /** Half-precision bits of {@code magnitude} (≥ 0) rounded toward zero. */
  private static int truncatedHalfMagnitude(float magnitude) {
    int bits = Float.floatToRawIntBits(magnitude);
    int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    int mantissa = bits & 0x7fffff;
    if (exponent >= 31) {
      return HALF_MAX_FINITE;
    }
    if (exponent <= 0) {
      // subnormal half: the implicit leading one joins the mantissa, shifted further right
      int shift = 14 - exponent;
      if (shift > 24) {
        return 0;
      }
      return (mantissa | 0x800000) >>> shift;
    }
    return (exponent << 10) | (mantissa >>> 13);
  }

  static float fromFloat16(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      // subnormal (or zero): mantissa × 2^-24
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    if (exponent == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }
}
