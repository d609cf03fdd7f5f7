package io.fedbase.encoding;

import io.fedbase.bundle.BundleLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Decodes an upload payload to float32 as its chunks arrive, whatever their boundaries: a value (or
 * an int8 scale) split across two chunks is carried over. Memory is one decoded chunk. A masked
 * ring payload passes through bit for bit (its int32 values, not floats).
 */
public final class DeltaDecoder {

  private final DeltaEncoding encoding;
  private final BundleLayout layout;
  private final ByteBuffer scaleSection;
  private float[] scales;
  private final byte[] partial = new byte[Float.BYTES];
  private int partialLength;
  private int decodedValues;
  private int tensor;
  private ByteBuffer out = ByteBuffer.allocate(0);

  public DeltaDecoder(DeltaEncoding encoding, BundleLayout layout) {
    this.encoding = encoding;
    this.layout = layout;
    this.scaleSection = ByteBuffer.allocate((int) encoding.headerBytes(layout)).order(ByteOrder.LITTLE_ENDIAN);
  }

  public DeltaEncoding encoding() {
    return encoding;
  }

  /**
   * The float32 values (little-endian, position 0 to limit) that {@code chunk} completes; for the
   * masked ring, its int32 values. The
   * returned buffer is reused by the next call; {@code chunk} is not modified.
   *
   * @throws DeltaFormatException if an int8 scale is negative or not finite
   */
  public ByteBuffer decode(ByteBuffer chunk) throws DeltaFormatException {
    ByteBuffer in = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    boolean fourByteValues = encoding == DeltaEncoding.FLOAT32 || encoding.masked();
    if (fourByteValues && partialLength == 0 && in.remaining() % Float.BYTES == 0) {
      decodedValues += in.remaining() / Float.BYTES;
      return in.slice().order(ByteOrder.LITTLE_ENDIAN);
    }
    if (scaleSection.hasRemaining()) {
      readScales(in);
    }
    int width = encoding.valueBytes();
    ensureCapacity(((in.remaining() + partialLength) / width) * Float.BYTES);
    out.clear();
    if (partialLength > 0) {
      while (partialLength < width && in.hasRemaining()) {
        partial[partialLength++] = in.get();
      }
      if (partialLength == width) {
        put(ByteBuffer.wrap(partial, 0, width).order(ByteOrder.LITTLE_ENDIAN));
        partialLength = 0;
      }
    }
    while (in.remaining() >= width) {
      put(in);
    }
    while (in.hasRemaining()) {
      partial[partialLength++] = in.get();
    }
    out.flip();
    return out;
  }

  /** Values decoded so far. */
  public int decodedValues() {
    return decodedValues;
  }

  private void readScales(ByteBuffer in) throws DeltaFormatException {
    int take = Math.min(in.remaining(), scaleSection.remaining());
    ByteBuffer part = in.slice().limit(take);
    scaleSection.put(part);
    in.position(in.position() + take);
    if (scaleSection.hasRemaining()) {
      return;
    }
    scaleSection.flip();
    scales = new float[layout.tensors().size()];
    for (int t = 0; t < scales.length; t++) {
      float scale = scaleSection.getFloat();
      if (!(scale >= 0) || Float.isInfinite(scale)) {
        throw new DeltaFormatException("the int8 scale of tensor " + layout.tensors().get(t).name() + " is " + scale);
      }
      scales[t] = scale;
    }
  }

  private void put(ByteBuffer in) {
    // raw bits for float32 and the ring: a float round trip could canonicalise NaN patterns
    switch (encoding) {
      case FLOAT32, SECURE_RING32 -> out.putInt(in.getInt());
      case FLOAT16 -> out.putFloat(HalfFloats.fromFloat16(in.getShort()));
      case BFLOAT16 -> out.putFloat(HalfFloats.fromBfloat16(in.getShort()));
      case INT8 -> out.putFloat(in.get() * scaleOf(decodedValues));
    }
    decodedValues++;
  }

  private float scaleOf(int index) {
    while (tensor < scales.length - 1 && index >= layout.end(tensor)) {
      tensor++;
    }
    return scales[tensor];
  }

  private void ensureCapacity(int bytes) {
    if (out.capacity() < bytes) {
      out = ByteBuffer.allocate(Math.max(bytes, out.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
  }
}
