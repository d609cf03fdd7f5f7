package io.fedbase.encoding;

import io.fedbase.bundle.BundleLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

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
        bulk(ByteBuffer.wrap(partial, 0, width).order(ByteOrder.LITTLE_ENDIAN), 1);
        partialLength = 0;
      }
    }
    bulk(in, in.remaining() / width);
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

  /** Values converted at a time: small enough to stay in cache. */
  private static final int BLOCK = 4096;

  private final byte[] bytes = new byte[BLOCK];
  private final short[] halves = new short[BLOCK];
  private final float[] floats = new float[BLOCK];

  /**
   * Decodes {@code count} whole values from {@code in} into {@code out} in blocks: a bulk read, a
   * tight conversion loop, a bulk write (the per-value buffer calls cost as much as the bytes saved).
   */
  private void bulk(ByteBuffer in, int count) {
    if (encoding == DeltaEncoding.FLOAT32 || encoding.masked()) {
      ByteBuffer raw = in.slice().limit(count * Integer.BYTES);
      out.put(raw);
      in.position(in.position() + count * Integer.BYTES);
      decodedValues += count;
      return;
    }
    FloatBuffer target = out.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    ShortBuffer shorts = encoding.valueBytes() == 2 ? in.slice().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer() : null;
    int done = 0;
    while (done < count) {
      int n = Math.min(BLOCK, count - done);
      switch (encoding) {
        case FLOAT16 -> {
          shorts.get(halves, 0, n);
          for (int i = 0; i < n; i++) {
            floats[i] = HalfFloats.fromFloat16(halves[i]);
          }
        }
        case BFLOAT16 -> {
          shorts.get(halves, 0, n);
          for (int i = 0; i < n; i++) {
            floats[i] = HalfFloats.fromBfloat16(halves[i]);
          }
        }
        case INT8 -> {
          // one tensor run at a time, so the scale is a constant of the loop
          n = Math.min(n, layout.end(tensorOf(decodedValues)) - decodedValues);
          in.get(bytes, 0, n);
          float scale = scales[tensor];
          for (int i = 0; i < n; i++) {
            floats[i] = bytes[i] * scale;
          }
        }
        default -> throw new IllegalStateException("not a converted encoding: " + encoding);
      }
      target.put(floats, 0, n);
      done += n;
      decodedValues += n;
    }
    if (shorts != null) {
      in.position(in.position() + count * Short.BYTES);
    }
    out.position(out.position() + count * Float.BYTES);
  }

  private int tensorOf(int index) {
    while (tensor < scales.length - 1 && index >= layout.end(tensor)) {
      tensor++;
    }
    return tensor;
  }

  private void ensureCapacity(int bytes) {
    if (out.capacity() < bytes) {
      out = ByteBuffer.allocate(Math.max(bytes, out.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
  }
}
