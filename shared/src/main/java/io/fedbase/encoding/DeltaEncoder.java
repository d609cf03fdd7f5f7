package io.fedbase.encoding;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.SplittableRandom;

/**
 * Encodes a whole delta into an upload payload. The rounding noise comes from a seeded generator,
 * so a retried upload of the same round sends the same bytes (and the coordinator's duplicate check
 * by checksum holds).
 */
public final class DeltaEncoder {

  private DeltaEncoder() {}

  /** The payload of {@code delta} in {@code encoding} (little-endian, positioned at 0). */
  public static ByteBuffer encode(Bundle delta, DeltaEncoding encoding, long seed) {
    BundleLayout layout = delta.layout();
    float[] values = delta.toArray();
    long bytes = encoding.payloadBytes(layout);
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a delta of " + bytes + " bytes does not fit one buffer");
    }
    ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom random = new SplittableRandom(seed);
    switch (encoding) {
      case FLOAT32 -> out.asFloatBuffer().put(values);
      case FLOAT16, BFLOAT16 -> encodeHalves(encoding, values, out, random);
      case INT8 -> encodeInt8(layout, values, out, random);
      case SECURE_RING32 -> throw new IllegalArgumentException("masked uploads are made by io.fedbase.secagg, not encoded from a delta");
    }
    out.clear();
    return out;
  }

  private static void encodeInt8(BundleLayout layout, float[] values, ByteBuffer out, SplittableRandom random) {
    int tensors = layout.tensors().size();
    float[] scales = new float[tensors];
    for (int t = 0; t < tensors; t++) {
      float largest = 0;
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        largest = Math.max(largest, Math.abs(values[i]));
      }
      scales[t] = largest / Int8Scale.LEVELS;
      out.putFloat(scales[t]);
    }
    byte[] block = new byte[BLOCK];
    for (int t = 0; t < tensors; t++) {
      float scale = scales[t];
      for (int from = layout.offset(t); from < layout.end(t); from += BLOCK) {
        int n = Math.min(BLOCK, layout.end(t) - from);
        for (int i = 0; i < n; i++) {
          block[i] = scale == 0 ? 0 : Int8Scale.quantize(values[from + i] / scale, random.nextDouble());
        }
        out.put(block, 0, n);
      }
    }
  }

  /** Values converted at a time before one bulk write (per-value buffer calls cost as much as the conversion). */
  private static final int BLOCK = 4096;

  private static void encodeHalves(DeltaEncoding encoding, float[] values, ByteBuffer out, SplittableRandom random) {
    ShortBuffer target = out.slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] block = new short[BLOCK];
    for (int from = 0; from < values.length; from += BLOCK) {
      int n = Math.min(BLOCK, values.length - from);
      for (int i = 0; i < n; i++) {
        block[i] =
            encoding == DeltaEncoding.FLOAT16
                ? HalfFloats.toFloat16(values[from + i], (float) random.nextDouble())
                : HalfFloats.toBfloat16(values[from + i], random.nextInt(1 << 16));
      }
      target.put(block, 0, n);
    }
    out.position(out.position() + values.length * Short.BYTES);
  }
}
