package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.RollbackPriorRequest;
import io.fedbase.proto.v1.RollbackPriorResponse;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.space.Digests;
import io.fedbase.testing.Eventually;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin rollback}: an earlier version becomes current again as a new version whose manifest
 * says so, a collecting round is abandoned, rounds go on from the restored parameters, and all of it
 * survives a restart. Over Netty on loopback.
 */
class RollbackTest {

  @TempDir Path dir;

  private FederationFixture fixture() throws Exception {
    return new FederationFixture(
        dir,
        1,
        1,
        Duration.ofSeconds(30),
        0,
        null,
        TransportLimits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))),
        port -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(16 << 20).build(),
        NormBound.none());
  }

  private static StatusResponse awaitVersion(FederationFixture f, long version) throws InterruptedException {
    return Eventually.await(
        "version " + version, Duration.ofSeconds(10), () -> f.blocking.getStatus(GetStatusRequest.getDefaultInstance()), s -> s.getPriorVersion() >= version);
  }

  private static Bundle committed(Path dir, long version) throws Exception {
    return BundleFiles.read(new CheckpointStore(dir, FederationFixture.LAYOUT).priorFile(version), FederationFixture.LAYOUT).bundle();
  }

  @Test
  void anEarlierVersionBecomesCurrentAgainAsANewVersionAndRoundsGoOnFromIt() throws Exception {
    try (FederationFixture f = fixture()) {
      FederationFixture.Node a = f.new Node("a");
      for (int v = 1; v <= 2; v++) {
        a.submit(a.nextAssignment(), randomDelta(v, 0.01f), 2);
        awaitVersion(f, v);
      }
      RoundAssignment third = a.nextAssignment();
      assertEquals(2, third.getPriorVersion());
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(f.channel);

      RollbackPriorResponse r = admin.rollbackPrior(RollbackPriorRequest.newBuilder().setToVersion(1).setReason("round 2 was poisoned").build());

      assertEquals(3, r.getVersion());
      assertEquals(1, r.getRestoredVersion());
      CheckpointStore store = new CheckpointStore(dir, FederationFixture.LAYOUT);
      assertEquals(Digests.sha256Hex(store.priorFile(3)), r.getSha256());
      assertEquals(committed(dir, 1), f.coordinator.current().prior(), "the current prior has version 1's parameters");
      assertEquals(3, f.coordinator.current().version());
      CommitManifest manifest = store.readManifest(3).orElseThrow();
      assertEquals(CommitManifest.ROLLBACK, manifest.aggregation());
      assertEquals(1L, manifest.rolledBackTo());
      assertEquals("round 2 was poisoned", manifest.rollbackReason());
      assertEquals(2, manifest.baseVersion());
      assertEquals(List.of(), manifest.uploads());

      StatusResponse abandoned = f.blocking.getStatus(GetStatusRequest.getDefaultInstance());
      assertFalse(abandoned.getRecentRounds(0).getCommitted());
      assertTrue(abandoned.getRecentRounds(0).getReason().contains("rolled the prior back to version 1"), abandoned.getRecentRounds(0).getReason());
      assertThrows(Exception.class, () -> a.submit(third, randomDelta(3, 0.01f), 2), "the abandoned round takes no upload");

      RoundAssignment fourth = a.nextAssignment();
      assertEquals(3, fourth.getPriorVersion(), "the next round adapts the restored parameters");
      a.submit(fourth, randomDelta(4, 0.01f), 2);
      awaitVersion(f, 4);
      assertNotEquals(committed(dir, 1), committed(dir, 4));

      StatusRuntimeException notOlder =
          assertThrows(StatusRuntimeException.class, () -> admin.rollbackPrior(RollbackPriorRequest.newBuilder().setToVersion(4).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, notOlder.getStatus().getCode());
      StatusRuntimeException unsigned =
          assertThrows(StatusRuntimeException.class, () -> admin.rollbackPrior(RollbackPriorRequest.newBuilder().setToVersion(-1).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, unsigned.getStatus().getCode(), "2^64-1 is not older");
      assertTrue(unsigned.getStatus().getDescription().contains("18446744073709551615"), unsigned.getStatus().getDescription());
    }
    try (FederationFixture f = fixture()) {
      assertEquals(4, f.coordinator.current().version(), "a restart resumes after the rollback");
      assertEquals(1L, new CheckpointStore(dir, FederationFixture.LAYOUT).readManifest(3).orElseThrow().rolledBackTo());
    }
  }

  @Test
  void aVersionWhoseFileIsGoneIsNotFound() throws Exception {
    try (FederationFixture f = fixture()) {
      FederationFixture.Node a = f.new Node("a");
      for (int v = 1; v <= 2; v++) {
        a.submit(a.nextAssignment(), randomDelta(v, 0.01f), 2);
        awaitVersion(f, v);
      }
      java.nio.file.Files.delete(new CheckpointStore(dir, FederationFixture.LAYOUT).priorFile(1));
      StatusRuntimeException gone =
          assertThrows(
              StatusRuntimeException.class,
              () -> AdminGrpc.newBlockingStub(f.channel).rollbackPrior(RollbackPriorRequest.newBuilder().setToVersion(1).build()));
      assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
      assertEquals(2, f.coordinator.current().version(), "nothing changed");
    }
  }
}
