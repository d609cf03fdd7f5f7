package io.fedbase.encoding;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
      case FLOAT16 -> {
        for (float v : values) {
          out.putShort(HalfFloats.toFloat16(v, (float) random.nextDouble()));
        }
      }
      case BFLOAT16 -> {
        for (float v : values) {
          out.putShort(HalfFloats.toBfloat16(v, random.nextInt(1 << 16)));
        }
      }
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
    for (int t = 0; t < tensors; t++) {
      float scale = scales[t];
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        out.put(scale == 0 ? 0 : Int8Scale.quantize(values[i] / scale, random.nextDouble()));
      }
    }
  }
}
