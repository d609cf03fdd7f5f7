package io.fedbase.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.space.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeltaEncodingTest {

  private final BundleLayout layout =
      new BundleLayout(
          "spec", List.of(TensorSpec.weight("conv", 40, 25), TensorSpec.weight("bias", 7), TensorSpec.logits("alpha", 3, 5)));

  private Bundle randomDelta(long seed, float scale) {
    Random random = new Random(seed);
    float[] v = new float[layout.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    v[3] = 0f;
    v[1010] = 0f; // a bias value of exactly zero
    return Bundle.of(layout, v);
  }

  @ParameterizedTest
  @EnumSource(value = DeltaEncoding.class, mode = EnumSource.Mode.EXCLUDE, names = "SECURE_RING32")
  void payloadHasTheAdvertisedLengthAndDecodesChunkByChunkAtAnyBoundary(DeltaEncoding encoding) throws Exception {
    Bundle delta = randomDelta(1, 1e-3f);
    ByteBuffer payload = DeltaEncoder.encode(delta, encoding, 42);
    assertEquals(encoding.payloadBytes(layout), payload.remaining());
    float[] whole = decodeInChunks(encoding, payload, Integer.MAX_VALUE);
    for (int chunk : new int[] {1, 3, 5, 4096}) {
      assertArrayEquals(whole, decodeInChunks(encoding, payload, chunk), "chunks of " + chunk + " bytes");
    }
    if (encoding == DeltaEncoding.FLOAT32) {
      assertArrayEquals(delta.toArray(), whole);
    }
    assertEquals(0f, whole[1010]);
  }

  @ParameterizedTest
  @EnumSource(value = DeltaEncoding.class, mode = EnumSource.Mode.EXCLUDE, names = "SECURE_RING32")
  void roundingErrorIsBoundedByOneGridStep(DeltaEncoding encoding) {
    Bundle delta = randomDelta(2, 1e-2f);
    float[] original = delta.toArray();
    float[] decoded = WireRoundTrip.of(delta, encoding, 7).toArray();
    for (int t = 0; t < layout.tensors().size(); t++) {
      float largest = 0;
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        largest = Math.max(largest, Math.abs(original[i]));
      }
      for (int i = layout.offset(t); i < layout.end(t); i++) {
        float bound =
            switch (encoding) {
              case FLOAT32, SECURE_RING32 -> 0f;
              case FLOAT16 -> Math.max(Math.ulp(original[i]) * 8192, 0x1p-24f);
              case BFLOAT16 -> Math.ulp(original[i]) * 65536;
              case INT8 -> largest / 127;
            };
        assertTrue(Math.abs(decoded[i] - original[i]) <= bound * 1.0001f, encoding + " value " + i + ": " + original[i] + " -> " + decoded[i]);
      }
    }
  }

  /** Stochastic rounding is unbiased: the mean of many roundings converges on the value itself. */
  @ParameterizedTest
  @EnumSource(value = DeltaEncoding.class, names = {"FLOAT16", "BFLOAT16", "INT8"})
  void stochasticRoundingIsUnbiased(DeltaEncoding encoding) {
    Bundle delta = randomDelta(3, 1e-3f);
    float[] original = delta.toArray();
    int draws = 400;
    double[] mean = new double[original.length];
    for (int d = 0; d < draws; d++) {
      float[] decoded = WireRoundTrip.of(delta, encoding, 1000 + d).toArray();
      for (int i = 0; i < mean.length; i++) {
        mean[i] += decoded[i] / (double) draws;
      }
    }
    // the mean error over all values after averaging is far below one rounding step: unbiased
    double meanError = 0;
    double step = 0;
    float[] once = WireRoundTrip.of(delta, encoding, 1).toArray();
    for (int i = 0; i < mean.length; i++) {
      meanError += Math.abs(mean[i] - original[i]);
      step += Math.abs(once[i] - original[i]);
    }
    assertTrue(meanError < step / 8, encoding + ": averaged error " + meanError + " vs a single rounding's " + step);
  }

  @Test
  void int8IsAQuarterOfTheBytesPlusOneScalePerTensor() {
    assertEquals(layout.totalSize() + 4L * 3, DeltaEncoding.INT8.payloadBytes(layout));
    assertEquals(layout.totalSize() * 2L, DeltaEncoding.BFLOAT16.payloadBytes(layout));
    assertEquals(layout.totalSize() * 4L, DeltaEncoding.FLOAT32.payloadBytes(layout));
  }

  @Test
  void sameSeedSameBytesSoRetriesAreIdentical() {
    Bundle delta = randomDelta(4, 1f);
    assertEquals(DeltaEncoder.encode(delta, DeltaEncoding.INT8, 9), DeltaEncoder.encode(delta, DeltaEncoding.INT8, 9));
  }

  @Test
  void halfPrecisionCoversSubnormalsAndClampsBeyondItsRange() {
    Bundle delta = Bundle.of(layout, new float[layout.totalSize()]).withTensor("bias", new float[] {1e-6f, -3e-8f, 1e5f, -1e9f, 65504f, 0.1f, -0f});
    float[] decoded = WireRoundTrip.of(delta, DeltaEncoding.FLOAT16, 5).tensor("bias");
    assertEquals(1e-6f, decoded[0], 0x1p-24f);
    assertEquals(-3e-8f, decoded[1], 0x1p-24f);
    assertEquals(65504f, decoded[2]);
    assertEquals(-65504f, decoded[3]);
    assertEquals(65504f, decoded[4]);
    assertEquals(0.1f, decoded[5], 1e-4f);
  }

  @Test
  void badInt8ScaleIsRefused() {
    ByteBuffer payload = DeltaEncoder.encode(randomDelta(5, 1f), DeltaEncoding.INT8, 1);
    payload.putFloat(4, Float.NaN);
    DeltaFormatException e = assertThrows(DeltaFormatException.class, () -> new DeltaDecoder(DeltaEncoding.INT8, layout).decode(payload));
    assertTrue(e.getMessage().contains("bias"), e.getMessage());
    payload.putFloat(4, -1f);
    assertThrows(DeltaFormatException.class, () -> new DeltaDecoder(DeltaEncoding.INT8, layout).decode(payload));
  }

  @Test
  void aMaskedRingPayloadPassesThroughBitForBitWhateverItsChunks() throws Exception {
    ByteBuffer payload = ByteBuffer.allocate(layout.totalSize() * 4).order(ByteOrder.LITTLE_ENDIAN);
    Random random = new Random(6);
    while (payload.hasRemaining()) {
      payload.putInt(random.nextInt() | 0x7fc00001); // NaN bit patterns a float round trip might change
    }
    payload.flip();
    float[] decoded = decodeInChunks(DeltaEncoding.SECURE_RING32, payload, 3);
    for (int i = 0; i < decoded.length; i++) {
      assertEquals(payload.getInt(i * 4), Float.floatToRawIntBits(decoded[i]));
    }
    assertThrows(IllegalArgumentException.class, () -> DeltaEncoding.parse("ring32"), "not a node's choice");
  }

  @Test
  void labelsParseAndUnknownOnesNameTheChoices() {
    assertEquals(DeltaEncoding.BFLOAT16, DeltaEncoding.parse("BF16"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeltaEncoding.parse("int4"));
    assertTrue(e.getMessage().contains("fp32, fp16, bf16, int8"), e.getMessage());
  }

  private float[] decodeInChunks(DeltaEncoding encoding, ByteBuffer payload, int chunkBytes) throws DeltaFormatException {
    DeltaDecoder decoder = new DeltaDecoder(encoding, layout);
    ByteBuffer all = ByteBuffer.allocate(layout.totalSize() * 4).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer in = payload.duplicate();
    while (in.hasRemaining()) {
      ByteBuffer chunk = in.slice();
      chunk.limit(Math.min(chunkBytes, chunk.remaining()));
      in.position(in.position() + chunk.remaining());
      all.put(decoder.decode(chunk));
    }
    assertEquals(layout.totalSize(), decoder.decodedValues());
    all.flip();
    float[] out = new float[layout.totalSize()];
    all.asFloatBuffer().get(out);
    return out;
  }
}
