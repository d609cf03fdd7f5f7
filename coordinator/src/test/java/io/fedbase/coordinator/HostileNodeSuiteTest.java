package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.coordinator.transport.FederationService;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.PauseRoundsRequest;
import io.fedbase.proto.v1.RemoveNodeRequest;
import io.fedbase.proto.v1.ResumeRoundsRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.security.Identity;
import io.fedbase.security.Role;
import io.fedbase.testing.Eventually;
import io.fedbase.testing.ManualTime;
import io.fedbase.wire.Refusal;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-node suite: one coordinator over mutual TLS on loopback, two honest nodes and a crowd
 * of hostile or careless ones acting at once, round after round: an upload held silent, one
 * trickled byte by byte, a delta scaled by 1,000 (and later by 20), one of 3e38 everywhere, a
 * trailer that tries to forge a log line, an impostor, a message of nested groups, a node revoked with its stream open and one
 * removed with its upload open. Time is moved by hand. The honest uploads are taken at once, each
 * round commits at its deadline with only them merged (the manifests say so), and the prior is
 * exactly the meta-update of the honest deltas.
 */
class HostileNodeSuiteTest {

  private static final Duration DEADLINE = Duration.ofMinutes(2);
  private static final Duration IDLE = Duration.ofSeconds(30);
  private static final Duration STEP = Duration.ofSeconds(10);
  private static final List<String> NODES = List.of("honest-a", "honest-b", "holder", "trickler", "scaler", "flooder", "forger", "revokee");

  @TempDir Path dir;

  @Test
  void honestNodesCommitAtTheirOwnPaceWhileHostileOnesAreRefused() throws Exception {
    List<Identity> identities = new java.util.ArrayList<>(NODES.stream().map(n -> new Identity(n, Role.NODE)).toList());
    identities.add(new Identity("ops", Role.OPERATOR));
    try (TestPki pki = new TestPki(dir.resolve("pki"), identities.toArray(Identity[]::new));
        ManualTime time = new ManualTime();
        FederationFixture f =
            new FederationFixture(
                dir.resolve("state"), 2, 2, DEADLINE, 0, null, pki.server(SecurityAudit.toLog(kind -> {})), port -> pki.channel(port, "ops"), NormBound.none(),
                UnaryOperator.identity(), time, FederationService.DEFAULT_CONCURRENT_UPLOADS, IDLE)) {
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(f.channel);
      admin.pauseRounds(PauseRoundsRequest.newBuilder().setReason("everyone joins first").build());
      Map<String, FederationFixture.Node> nodes = new LinkedHashMap<>();
      for (String id : NODES) {
        nodes.put(id, f.new Node(id, pki.channel(f.server.port(), id)));
      }

      // a revoked node's open stream ends, and it is neither counted nor selected
      pki.ca.revoke("revokee");
      time.advance(Duration.ofSeconds(1));
      ExecutionException revoked = assertThrows(ExecutionException.class, () -> nodes.get("revokee").ended.get(20, TimeUnit.SECONDS));
      assertEquals(Optional.of(Refusal.REMOVED), Refusal.of(revoked.getCause()));
      assertFalse(f.coordinator.status().connectedNodes().contains("revokee"));

      // an impostor: a node certificate joining as another node
      StatusRuntimeException impostor =
          assertThrows(
              StatusRuntimeException.class,
              () -> FederationGrpc.newBlockingStub(pki.channel(f.server.port(), "forger"))
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .join(JoinRequest.newBuilder().setNodeId("honest-a").build()));
      assertEquals(Status.Code.PERMISSION_DENIED, impostor.getStatus().getCode());
      // bytes that are no protobuf message: 200 nested groups
      StatusRuntimeException nested = RawCalls.send(pki.channel(f.server.port(), "forger"), FederationGrpc.getSubmitUpdateMethod(), RawCalls.DEEP_GROUPS);
      assertEquals(Status.Code.INVALID_ARGUMENT, nested.getStatus().getCode());

      admin.resumeRounds(ResumeRoundsRequest.getDefaultInstance());
      Bundle[] honestDeltas = new Bundle[2];

      // round 1: no history yet, the prior's norm is the yardstick
      Map<String, RoundAssignment> first = assignments(nodes);
      CompletableFuture<Throwable> held = nodes.get("holder").hold(first.get("holder"));
      Trickle trickle = new Trickle(f, nodes.get("trickler"), first.get("trickler"));
      assertOutlier(() -> nodes.get("scaler").submit(first.get("scaler"), FederationFixture.randomDelta(3, 0.01f).scaled(1000), 2));
      assertOutlier(() -> nodes.get("flooder").submit(first.get("flooder"), filled(3e38f), 2));
      assertForgeryRefused(nodes.get("forger"), first.get("forger"));
      honestDeltas[0] = FederationFixture.randomDelta(1, 0.01f);
      honestDeltas[1] = FederationFixture.randomDelta(2, 0.01f);
      assertEquals(1, nodes.get("honest-a").submit(first.get("honest-a"), honestDeltas[0], 2).getAcceptedInRound(), "taken at once, no time passed");
      assertEquals(2, nodes.get("honest-b").submit(first.get("honest-b"), honestDeltas[1], 2).getAcceptedInRound());

      for (Duration t = Duration.ZERO; t.compareTo(DEADLINE) < 0; t = t.plus(STEP)) {
        assertEquals(0, f.coordinator.current().version(), "the round waits for its deadline, not longer, not shorter");
        trickle.oneMore();
        time.advance(STEP);
      }
      assertEquals(Optional.of(Refusal.STALLED), Refusal.of(held.get(20, TimeUnit.SECONDS)));
      assertEquals(Optional.of(Refusal.LATE), Refusal.of(trickle.ended.get(20, TimeUnit.SECONDS)), "trickling does not outlive the round");
      Eventually.until("version 1", Duration.ofSeconds(20), () -> f.coordinator.current().version() == 1);
      assertMergedOnly(1, "honest-a", "honest-b");
      Bundle mean = honestDeltas[0].plusScaled(honestDeltas[1], 1f).scaled(0.5f);
      Bundle expected = FederationFixture.OPTIMIZER.step(f.initial, mean, 0, FederationFixture.SCHEDULE_ROUNDS);
      assertArrayEquals(expected.toArray(), committed(1).toArray(), 1e-6f, "the prior moved by the honest deltas alone");

      // round 2: measured against what the honest nodes sent; the holder is removed mid-upload
      Map<String, RoundAssignment> second = assignments(nodes);
      CompletableFuture<Throwable> heldAgain = nodes.get("holder").hold(second.get("holder"));
      Eventually.until("the held upload streaming", Duration.ofSeconds(20), () -> f.stagedBytes("holder") > 0);
      admin.removeNode(RemoveNodeRequest.newBuilder().setNodeId("holder").setReason("holds uploads").build());
      assertEquals(Optional.of(Refusal.REMOVED), Refusal.of(heldAgain.get(20, TimeUnit.SECONDS)), "cut off at once, no time passed");
      assertOutlier(() -> nodes.get("scaler").submit(second.get("scaler"), FederationFixture.randomDelta(4, 0.01f).scaled(20), 2));
      nodes.get("honest-a").submit(second.get("honest-a"), FederationFixture.randomDelta(5, 0.01f), 2);
      nodes.get("honest-b").submit(second.get("honest-b"), FederationFixture.randomDelta(6, 0.01f), 2);
      time.advance(DEADLINE);
      Eventually.until("version 2", Duration.ofSeconds(20), () -> f.coordinator.current().version() == 2);
      assertMergedOnly(2, "honest-a", "honest-b");
      assertEquals(null, f.coordinator.current().prior().firstNonFiniteTensor());
      assertEquals(0, f.stagedBytes(""), "no staging file outlives its upload");
    }
  }

  /** Every connected node's next assignment. */
  private static Map<String, RoundAssignment> assignments(Map<String, FederationFixture.Node> nodes) throws InterruptedException {
    Map<String, RoundAssignment> out = new LinkedHashMap<>();
    for (FederationFixture.Node n : nodes.values()) {
      if (!n.ended.isDone()) {
        out.put(n.id, n.nextAssignment());
      }
    }
    return out;
  }

  /** An upload that sends a few bytes at a time, each well within the idle timeout. */
  private static final class Trickle {
    final CompletableFuture<Throwable> ended;
    private final FederationFixture fixture;
    private final StreamObserver<UpdateChunk> upload;
    private final String node;
    private long sent;

    Trickle(FederationFixture fixture, FederationFixture.Node node, RoundAssignment a) {
      this.fixture = fixture;
      CompletableFuture<UpdateReceipt> receipt = new CompletableFuture<>();
      this.node = node.id;
      this.upload = node.openUpload(receipt);
      this.ended = receipt.handle((r, error) -> error);
      upload.onNext(UpdateChunk.newBuilder().setHeader(node.header(a, 2)).build());
    }

    /** Sends 64 more bytes and waits until the coordinator has them (so their time counts). */
    void oneMore() throws InterruptedException {
      if (ended.isDone()) {
        return;
      }
      upload.onNext(UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[64])).build());
      sent += 64;
      long expected = sent;
      Eventually.until("the trickled bytes staged", Duration.ofSeconds(20), () -> ended.isDone() || fixture.stagedBytes(node) >= expected);
    }
  }

  private static void assertOutlier(org.junit.jupiter.api.function.Executable upload) {
    Exception e = assertThrows(Exception.class, upload);
    assertEquals(Optional.of(Refusal.NORM_TOO_LARGE), Refusal.of(e), String.valueOf(e));
    assertTrue(Status.fromThrowable(e).getDescription().contains("outlier"), Status.fromThrowable(e).getDescription());
  }

  /** A trailer whose checksum carries a line break and a made-up log line: refused, echoed as one line. */
  private static void assertForgeryRefused(FederationFixture.Node forger, RoundAssignment a) {
    String forged = "0\nround=1 update=accepted node=honest-a tasks=2";
    List<UpdateChunk> chunks = FederationFixture.chunks(forger.header(a, 2).build(), FederationFixture.bytesOf(FederationFixture.randomDelta(7, 0.01f)), forged);
    Exception e = assertThrows(Exception.class, () -> forger.send(chunks));
    String description = Status.fromThrowable(e).getDescription();
    assertEquals(Optional.of(Refusal.CHECKSUM_MISMATCH), Refusal.of(e), description);
    assertFalse(description.contains("\n"), description);
  }

  private void assertMergedOnly(long version, String... nodes) throws Exception {
    CommitManifest manifest = new CheckpointStore(dir.resolve("state"), FederationFixture.LAYOUT).readManifest(version).orElseThrow();
    assertEquals(List.of(nodes), manifest.uploads().stream().map(CommitManifest.Upload::node).sorted().toList());
  }

  private Bundle committed(long version) throws Exception {
    Path file = new CheckpointStore(dir.resolve("state"), FederationFixture.LAYOUT).priorFile(version);
    return BundleFiles.read(file, FederationFixture.LAYOUT).bundle();
  }

  private static Bundle filled(float value) {
    float[] v = new float[FederationFixture.LAYOUT.totalSize()];
    Arrays.fill(v, value);
    return Bundle.of(FederationFixture.LAYOUT, v);
  }
}
