package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.LAYOUT;
import static io.fedbase.coordinator.FederationFixture.bytesOf;
import static io.fedbase.coordinator.FederationFixture.chunks;
import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateTrailer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz of the upload decoder through the real service: random breaking mutations of a
 * valid upload (headers, chunk order and sizes, payload bytes, trailers) must each be refused with
 * a status, leave no staging file behind, and leave the prior bit-identical; the honest upload is
 * accepted afterwards. Bounded in iterations and time.
 */
class UploadDecoderFuzzTest {

  private static final long SEED = 7L;
  private static final int MAX_ITERATIONS = 300;
  private static final long MAX_NANOS = 30_000_000_000L;

  @TempDir Path dir;

  @Test
  void mutatedUploadsAreRefusedAndChangeNothing() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofMinutes(5), 0)) {
      FederationFixture.Node a = f.new Node("a");
      f.new Node("b");
      RoundAssignment assignment = a.nextAssignment();
      byte[] payload = bytesOf(randomDelta(3, 0.01f));
      UpdateHeader header = a.header(assignment, 2).build();
      byte[] before = Files.readAllBytes(dir.resolve("prior-v00000000.fbb"));
      SplittableRandom rng = new SplittableRandom(SEED);
      Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
      long start = System.nanoTime();
      int n = 0;
      for (; n < MAX_ITERATIONS && System.nanoTime() - start < MAX_NANOS; n++) {
        List<UpdateChunk> mutant = mutate(chunks(header, payload, null), header, payload, rng);
        Status.Code code;
        try {
          f.send(mutant);
          code = Status.Code.OK;
        } catch (Exception e) {
          code = Status.fromThrowable(e).getCode();
        }
        assertTrue(code != Status.Code.OK && code != Status.Code.UNKNOWN && code != Status.Code.INTERNAL,
            "mutant " + n + " (seed " + SEED + ") got " + code);
        codes.merge(code, 1, Integer::sum);
      }
      assertTrue(n >= 50, "only " + n + " mutants ran");
      assertTrue(codes.size() >= 2, "mutations reach several checks: " + codes);
      assertEquals(0, f.coordinator.current().version());
      assertArrayEquals(before, Files.readAllBytes(dir.resolve("prior-v00000000.fbb")));
      assertEquals(1, a.submit(assignment, randomDelta(3, 0.01f), 2).getAcceptedInRound(), "the honest upload still goes through");
      try (var staged = Files.walk(dir)) {
        assertEquals(0, staged.filter(p -> p.toString().endsWith(".part")).count(), "no staging file is left behind");
      }
    }
  }

  /** One breaking mutation of a valid chunk list. */
  private static List<UpdateChunk> mutate(List<UpdateChunk> valid, UpdateHeader header, byte[] payload, SplittableRandom rng) {
    List<UpdateChunk> m = new ArrayList<>(valid);
    int last = m.size() - 1;
    switch (rng.nextInt(12)) {
      case 0 -> m.set(0, UpdateChunk.newBuilder().setHeader(header.toBuilder().setRound(header.getRound() + 1 + rng.nextInt(5))).build());
      case 1 -> m.set(0, UpdateChunk.newBuilder().setHeader(header.toBuilder().setPriorVersion(header.getPriorVersion() + 1)).build());
      case 2 -> m.set(0, UpdateChunk.newBuilder().setHeader(header.toBuilder().setSpecHash(Long.toHexString(rng.nextLong()))).build());
      case 3 -> m.set(0, UpdateChunk.newBuilder().setHeader(header.toBuilder().setPayloadBytes(header.getPayloadBytes() + 4L * (rng.nextInt(9) - 4 | 1))).build());
      case 4 -> m.set(0, UpdateChunk.newBuilder().setHeader(header.toBuilder().setTaskCount(rng.nextBoolean() ? 0 : 99)).build());
      case 5 -> m.remove(0);
      case 6 -> m.remove(last);
      case 7 -> {
        int i = 1 + rng.nextInt(last - 1);
        byte[] data = m.get(i).getData().toByteArray();
        int at = rng.nextInt(data.length);
        data[at] ^= (byte) (1 << rng.nextInt(8));
        m.set(i, UpdateChunk.newBuilder().setData(ByteString.copyFrom(data)).build());
      }
      case 8 -> {
        int i = 1 + rng.nextInt(last - 1);
        byte[] data = m.get(i).getData().toByteArray();
        m.set(i, UpdateChunk.newBuilder().setData(ByteString.copyFrom(data, 0, Math.max(1, data.length - 1 - rng.nextInt(7)))).build());
      }
      case 9 -> m.add(last, UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[4 * (1 + rng.nextInt(16))])).build());
      case 10 -> m.set(last, UpdateChunk.newBuilder().setTrailer(UpdateTrailer.newBuilder().setSha256(Long.toHexString(rng.nextLong()))).build());
      default -> {
        int i = 1 + rng.nextInt(last - 1);
        m.add(i, m.get(0));
      }
    }
    return m;
  }
}
