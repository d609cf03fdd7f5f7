package io.fedbase.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fedbase.proto.v1.BundleHeader;
import io.fedbase.proto.v1.BundleKind;
import io.fedbase.proto.v1.DType;
import io.fedbase.space.SupernetSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A seeded random-mutation fuzz of the bundle decoder, bounded in iterations and time: every
 * mutant of a valid file must be refused with a {@link BundleFormatException} (or a plain I/O
 * error), never crash the reader with another exception or an out-of-memory error, and never be
 * accepted as a different bundle.
 */
class BundleDecoderFuzzTest {

  private static final long SEED = 20261126L;
  private static final int MAX_ITERATIONS = 4000;
  private static final long MAX_NANOS = 20_000_000_000L;

  @Test
  void mutantsAreRefusedCleanly() throws IOException {
    SupernetSpec spec = SupernetSpec.profile("small").toBuilder().setChannels(2).build();
    Bundle bundle = ParameterInitializer.initialize(spec, 1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleCodec.write(StoredBundle.parameters(bundle, spec, Map.of("source", "fuzz")), out);
    byte[] valid = out.toByteArray();
    assertArrayEquals(bundle.toArray(), read(valid).bundle().toArray(), 0f, "the seed file reads back");

    SplittableRandom rng = new SplittableRandom(SEED);
    long start = System.nanoTime();
    int iterations = 0;
    while (iterations < MAX_ITERATIONS && System.nanoTime() - start < MAX_NANOS) {
      byte[] mutant = mutate(valid, rng);
      iterations++;
      if (Arrays.equals(mutant, valid)) {
        continue;
      }
      try {
        read(mutant);
        fail("mutant " + iterations + " was accepted");
      } catch (IOException expected) {
        // BundleFormatException or a truncation: refused as it should be
      } catch (RuntimeException | OutOfMemoryError e) {
        throw new AssertionError("mutant " + iterations + " (seed " + SEED + ") crashed the decoder: " + e, e);
      }
    }
    assertTrue(iterations >= 200, "only " + iterations + " iterations ran");
  }

  @Test
  void aForgedHeaderCannotMakeASmallFileAllocateGigabytes() throws IOException {
    BundleHeader header =
        BundleHeader.newBuilder()
            .setFormatVersion(1)
            .setSpecHash("forged")
            .setDtype(DType.DTYPE_FLOAT32)
            .setKind(BundleKind.BUNDLE_KIND_PARAMETERS)
            .setPayloadBytes(4L * (1 << 30))
            .addTensors(io.fedbase.proto.v1.TensorSpec.newBuilder().setName("huge").addShape(1 << 15).addShape(1 << 15))
            .build();
    byte[] h = header.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(BundleCodec.MAGIC);
    out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).array());
    out.write(h);
    out.write(new byte[4096]);
    BundleFormatException e = assertThrows(BundleFormatException.class, () -> read(out.toByteArray()));
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("payload"), e.getMessage());
  }

  private static StoredBundle read(byte[] bytes) throws IOException {
    return BundleCodec.read(new ByteArrayInputStream(bytes), null, "mutant");
  }

  /** One to four mutations: bit flips, byte overwrites, truncation, insertion, deletion, length-field edits. */
  private static byte[] mutate(byte[] valid, SplittableRandom rng) {
    byte[] m = valid.clone();
    int count = 1 + rng.nextInt(4);
    for (int k = 0; k < count; k++) {
      int kind = rng.nextInt(7);
      // most mutations land in the first few kilobytes, where the header lives
      int at = rng.nextInt(4) == 0 ? rng.nextInt(m.length) : rng.nextInt(Math.min(m.length, 4096));
      switch (kind) {
        case 0 -> m[at] ^= (byte) (1 << rng.nextInt(8));
        case 1 -> m[at] = (byte) rng.nextInt(256);
        case 2 -> m = Arrays.copyOf(m, rng.nextInt(m.length));
        case 3 -> {
          byte[] grown = new byte[m.length + 1 + rng.nextInt(64)];
          System.arraycopy(m, 0, grown, 0, at);
          for (int i = at; i < at + grown.length - m.length; i++) {
            grown[i] = (byte) rng.nextInt(256);
          }
          System.arraycopy(m, at, grown, at + grown.length - m.length, m.length - at);
          m = grown;
        }
        case 4 -> {
          int len = Math.min(1 + rng.nextInt(64), m.length - at);
          byte[] shrunk = new byte[m.length - len];
          System.arraycopy(m, 0, shrunk, 0, at);
          System.arraycopy(m, at + len, shrunk, at, m.length - at - len);
          m = shrunk;
        }
        case 5 -> {
          if (m.length >= 12) {
            int[] lengths = {0, 1, -1, Integer.MAX_VALUE, 64 << 20, rng.nextInt()};
            ByteBuffer.wrap(m, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(lengths[rng.nextInt(lengths.length)]);
          }
        }
        default -> {
          int len = Math.min(1 + rng.nextInt(16), m.length - at);
          for (int i = at; i < at + len; i++) {
            m[i] = (byte) 0xFF;
          }
        }
      }
      if (m.length == 0) {
        return m;
      }
    }
    return m;
  }
}
