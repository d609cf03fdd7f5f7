package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.UpdateEncoding;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.WireText;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text a client controls, against a coordinator on Netty: node ids follow the certificate id rule,
 * and what a refusal echoes is one bounded line, so a client can neither forge lines in the log nor
 * make the coordinator send back megabytes.
 */
class HostileTextTest {

  @TempDir Path dir;

  private FederationFixture fixture() throws Exception {
    NettyServerBuilder server = TransportLimits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)));
    return new FederationFixture(
        dir.resolve("state"),
        2,
        2,
        Duration.ofSeconds(30),
        0,
        null,
        server,
        port -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(16 << 20).build(),
        NormBound.none());
  }

  private static StatusRuntimeException joinRefused(FederationFixture f, String id) {
    return assertThrows(StatusRuntimeException.class, () -> f.blocking.join(JoinRequest.newBuilder().setNodeId(id).build()));
  }

  private static void assertOneBoundedLine(StatusRuntimeException e) {
    String d = e.getStatus().getDescription();
    assertFalse(d.contains("\n") || d.contains("\r"), "one line: " + d.substring(0, Math.min(200, d.length())));
    assertTrue(d.length() <= WireText.LINE + 40, "bounded, not " + d.length() + " characters");
  }

  @Test
  void nodeIdsFollowTheCertificateRule() throws Exception {
    try (FederationFixture f = fixture()) {
      for (String id : List.of(".", "..", "-rf", "_x", "a/b", "a".repeat(65))) {
        StatusRuntimeException e = joinRefused(f, id);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), id);
        assertEquals(Optional.of(Refusal.MALFORMED), Refusal.of(e), id);
      }
      assertEquals(0, f.blocking.join(JoinRequest.newBuilder().setNodeId("org-a.node_1").build()).getPriorVersion());
    }
  }

  @Test
  void aForgedLineOrAMegabyteIdIsEchoedAsOneBoundedLine() throws Exception {
    String forged = "x\n2026-12-05T12:00:00Z INFO round=9 outcome=committed version=9\n" + "y".repeat(1 << 20);
    try (FederationFixture f = fixture()) {
      assertOneBoundedLine(joinRefused(f, forged));

      UpdateHeader header =
          UpdateHeader.newBuilder()
              .setRound(1)
              .setNodeId(forged)
              .setPriorVersion(0)
              .setTaskCount(1)
              .setSpecHash("z\n".repeat(1000))
              .setEncoding(UpdateEncoding.UPDATE_ENCODING_FLOAT32_DELTA)
              .setPayloadBytes(4)
              .build();
      StatusRuntimeException upload =
          assertThrows(StatusRuntimeException.class, () -> f.send(FederationFixture.chunks(header, new byte[4], "\n".repeat(64))));
      assertEquals(Optional.of(Refusal.NOT_JOINED), Refusal.of(upload));
      assertOneBoundedLine(upload);

      // the connection is unharmed: the next call on it is answered
      assertEquals(0, f.blocking.getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());
    }
  }
}
