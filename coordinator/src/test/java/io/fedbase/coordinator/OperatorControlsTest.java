package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.AdminState;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.PauseRoundsRequest;
import io.fedbase.proto.v1.ReadmitNodeRequest;
import io.fedbase.proto.v1.RemoveNodeRequest;
import io.fedbase.proto.v1.ResumeRoundsRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.testing.Eventually;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's Admin calls: pausing rounds and removing nodes, both surviving a restart. */
class OperatorControlsTest {

  @TempDir Path dir;

  @Test
  void pausedRoundsDoNotOpenUntilResumedAndThePauseSurvivesARestart() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(f.channel);
      AdminState paused = admin.pauseRounds(PauseRoundsRequest.newBuilder().setReason("maintenance").build());
      assertTrue(paused.getPaused());
      assertEquals("maintenance", paused.getPauseReason());
      FederationFixture.Node a = f.new Node("a");
      assertNull(assignmentWithin(a, 1500), "no round opens while paused");
      assertTrue(f.blocking.getStatus(GetStatusRequest.getDefaultInstance()).getPaused());
    }
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      FederationFixture.Node a = f.new Node("a");
      assertNull(assignmentWithin(a, 1000), "still paused after a restart");
      assertFalse(AdminGrpc.newBlockingStub(f.channel).resumeRounds(ResumeRoundsRequest.getDefaultInstance()).getPaused());
      assertEquals(1, a.nextAssignment().getRound(), "resuming opens the round");
    }
  }

  @Test
  void aRemovedNodeLeavesTheRoundIsRefusedEverywhereAndStaysRemovedUntilReadmitted() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 1, Duration.ofSeconds(30), 0)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      a.submit(ra, randomDelta(1, 0.01f), 2);
      AdminState state = AdminGrpc.newBlockingStub(f.channel).removeNode(RemoveNodeRequest.newBuilder().setNodeId("b").setReason("sends garbage").build());
      assertEquals(List.of("b"), state.getRemovedNodesList());
      ExecutionException ended = assertThrows(ExecutionException.class, () -> b.ended.get(10, TimeUnit.SECONDS));
      assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(ended.getCause()).getCode());
      assertTrue(Status.fromThrowable(ended.getCause()).getDescription().contains("sends garbage"));
      StatusResponse s = awaitVersion(f, 1);
      assertTrue(s.getRecentRounds(0).getCommitted(), "the round closes once every remaining member uploaded");
      assertEquals(List.of("b"), s.getRemovedNodesList());
      Exception upload = assertThrows(Exception.class, () -> b.submit(rb, randomDelta(2, 0.01f), 2));
      assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(upload).getCode());
    }
    try (FederationFixture f = new FederationFixture(dir, 2, 1, Duration.ofSeconds(30), 0)) {
      StatusRuntimeException join =
          assertThrows(StatusRuntimeException.class, () -> f.blocking.join(JoinRequest.newBuilder().setNodeId("b").build()));
      assertEquals(Status.Code.PERMISSION_DENIED, join.getStatus().getCode(), "still removed after a restart");
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(f.channel);
      assertEquals(0, admin.readmitNode(ReadmitNodeRequest.newBuilder().setNodeId("b").build()).getRemovedNodesCount());
      f.blocking.join(JoinRequest.newBuilder().setNodeId("b").build());
      StatusRuntimeException twice = assertThrows(StatusRuntimeException.class, () -> admin.readmitNode(ReadmitNodeRequest.newBuilder().setNodeId("b").build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, twice.getStatus().getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT,
          assertThrows(StatusRuntimeException.class, () -> admin.removeNode(RemoveNodeRequest.newBuilder().setNodeId("../x").build())).getStatus().getCode());
    }
  }

  private static RoundAssignment assignmentWithin(FederationFixture.Node node, long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      RoundEvent e = node.events.poll(100, TimeUnit.MILLISECONDS);
      if (e != null && e.hasAssignment()) {
        return e.getAssignment();
      }
    }
    return null;
  }

  private static StatusResponse awaitVersion(FederationFixture f, long version) throws InterruptedException {
    return Eventually.await(
        "version " + version + " committed", Duration.ofSeconds(10), () -> f.blocking.getStatus(GetStatusRequest.getDefaultInstance()), s -> s.getPriorVersion() >= version);
  }
}
