package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.PriorChunk;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.wire.Refusal;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fields from the wire read as what the protocol says they are, against a coordinator on Netty:
 * unsigned values of 2^63 and more are out of range (never a negative size or a retryable error),
 * and a replay of an accepted upload is not read past what an upload can hold.
 */
class HostileFieldsTest {

  @TempDir Path dir;

  private FederationFixture fixture() throws Exception {
    return new FederationFixture(
        dir.resolve("state"),
        2,
        2,
        Duration.ofSeconds(60),
        0,
        null,
        TransportLimits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))),
        port -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build(),
        NormBound.none());
  }

  @Test
  void anOffsetOf2To63OrMoreIsOutOfRangeBeforeAnyByteIsSent() throws Exception {
    try (FederationFixture f = fixture()) {
      for (long offset : List.of(Long.MIN_VALUE, -1L)) {
        Iterator<PriorChunk> chunks = f.blocking.fetchPrior(FetchPriorRequest.newBuilder().setVersion(0).setOffset(offset).build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, chunks::next, "refused at once, no header first");
        assertEquals(Status.Code.OUT_OF_RANGE, e.getStatus().getCode());
        assertEquals(Optional.of(Refusal.OFFSET_OUT_OF_RANGE), Refusal.of(e));
        assertTrue(e.getStatus().getDescription().contains(Long.toUnsignedString(offset)), e.getStatus().getDescription());
      }
    }
  }

  @Test
  void unsignedHeaderFieldsOutOfRangeAreMalformed() throws Exception {
    try (FederationFixture f = fixture()) {
      FederationFixture.Node a = f.new Node("a");
      f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      byte[] payload = FederationFixture.bytesOf(FederationFixture.randomDelta(1, 0.01f));
      StatusRuntimeException size =
          assertThrows(StatusRuntimeException.class, () -> f.send(FederationFixture.chunks(a.header(ra, 2).setPayloadBytes(-1L).build(), payload, null)));
      assertEquals(Optional.of(Refusal.MALFORMED), Refusal.of(size));
      assertTrue(size.getStatus().getDescription().contains("18446744073709551615"), size.getStatus().getDescription());
      StatusRuntimeException round =
          assertThrows(StatusRuntimeException.class, () -> f.send(FederationFixture.chunks(a.header(ra, 2).setRound(Long.MIN_VALUE).build(), payload, null)));
      assertEquals(Optional.of(Refusal.MALFORMED), Refusal.of(round));
    }
  }

  @Test
  void aReplayLargerThanTheOriginalIsRefusedInsteadOfReadToItsEnd() throws Exception {
    try (FederationFixture f = fixture()) {
      FederationFixture.Node a = f.new Node("a");
      f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      // the original in half precision: a full-precision replay is within an upload's size, not the original's
      a.submit(ra, FederationFixture.randomDelta(1, 0.01f), 2, DeltaEncoding.FLOAT16, 1);
      byte[] payload = FederationFixture.bytesOf(FederationFixture.randomDelta(1, 0.01f));
      List<UpdateChunk> replay = FederationFixture.chunks(a.header(ra, 2).build(), payload, null);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> f.send(replay));
      assertEquals(Optional.of(Refusal.OVERSIZED), Refusal.of(e));
      assertTrue(e.getStatus().getDescription().contains("of the original"), e.getStatus().getDescription());
      assertTrue(a.submit(ra, FederationFixture.randomDelta(1, 0.01f), 2, DeltaEncoding.FLOAT16, 1).getDuplicate(), "an honest retry is still acknowledged as a duplicate");
    }
  }
}
