package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.RemoveNodeRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.testing.Eventually;
import io.fedbase.testing.ManualTime;
import io.fedbase.wire.Refusal;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that opens an upload and then goes silent cannot keep others waiting: on a coordinator
 * over Netty with one upload permit, the held upload is cut off after the idle timeout, or at its
 * round's deadline at the latest, and the honest upload queued behind it goes through. Time is
 * moved by hand.
 */
class HeldUploadTest {

  private static final Duration ROUND_DEADLINE = Duration.ofMinutes(2);

  @TempDir Path dir;

  private FederationFixture fixture(ManualTime time, Duration idle) throws Exception {
    return new FederationFixture(
        dir.resolve("state"),
        2,
        2,
        ROUND_DEADLINE,
        0,
        null,
        TransportLimits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))),
        port -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build(),
        NormBound.none(),
        UnaryOperator.identity(),
        time,
        1,
        idle);
  }

  @Test
  void aSilentUploadIsCutOffAfterTheIdleTimeoutAndTheQueuedOneGoesThrough() throws Exception {
    Duration idle = Duration.ofSeconds(30);
    try (ManualTime time = new ManualTime();
        FederationFixture f = fixture(time, idle)) {
      FederationFixture.Node holder = f.new Node("holder");
      FederationFixture.Node honest = f.new Node("honest");
      RoundAssignment held = holder.nextAssignment();
      RoundAssignment fair = honest.nextAssignment();

      CompletableFuture<Throwable> cut = holder.hold(held);
      // its first chunk is read only once it holds the permit: then the honest upload must queue
      Eventually.until("the held upload's first chunk staged", Duration.ofSeconds(20), () -> f.stagedBytes("holder") > 0);
      CompletableFuture<UpdateReceipt> queued = CompletableFuture.supplyAsync(() -> submit(honest, fair));

      time.advance(idle.minusSeconds(1));
      time.settle();
      assertFalse(cut.isDone(), "silent for less than the idle timeout: still open");
      assertFalse(queued.isDone(), "the only permit is held");

      time.advance(Duration.ofSeconds(1));
      Throwable error = cut.get(20, TimeUnit.SECONDS);
      assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(error).getCode());
      assertEquals(Optional.of(Refusal.STALLED), Refusal.of(error));
      assertEquals(1, queued.get(20, TimeUnit.SECONDS).getAcceptedInRound(), "the honest upload got the permit and was merged");
      assertEquals(0, stagedFilesOf("holder"), "the cut-off upload's staging file is gone");
    }
  }

  @Test
  void noUploadHoldsItsPermitPastTheRound() throws Exception {
    try (ManualTime time = new ManualTime();
        FederationFixture f = fixture(time, Duration.ofHours(1))) {
      FederationFixture.Node holder = f.new Node("holder");
      FederationFixture.Node honest = f.new Node("honest");
      CompletableFuture<Throwable> cut = holder.hold(holder.nextAssignment());
      honest.nextAssignment();
      Eventually.until("the held upload's first chunk staged", Duration.ofSeconds(20), () -> f.stagedBytes("holder") > 0);

      time.advance(ROUND_DEADLINE);
      Throwable error = cut.get(20, TimeUnit.SECONDS);
      assertEquals(Optional.of(Refusal.LATE), Refusal.of(error), String.valueOf(error));
      // the next round opens, and an upload in it gets the permit the held one had
      RoundAssignment next = honest.nextAssignment();
      assertEquals(2, next.getRound());
      assertTrue(submit(honest, next).getAcceptedInRound() >= 1);
    }
  }

  @Test
  void removingANodeCutsItsUploadOffAtOnceAndItsPermitGoesToTheNext() throws Exception {
    try (ManualTime time = new ManualTime();
        FederationFixture f = fixture(time, Duration.ofHours(1))) {
      FederationFixture.Node holder = f.new Node("holder");
      FederationFixture.Node honest = f.new Node("honest");
      CompletableFuture<Throwable> cut = holder.hold(holder.nextAssignment());
      RoundAssignment fair = honest.nextAssignment();
      Eventually.until("the held upload's first chunk staged", Duration.ofSeconds(20), () -> f.stagedBytes("holder") > 0);
      CompletableFuture<UpdateReceipt> queued = CompletableFuture.supplyAsync(() -> submit(honest, fair));

      // no time passes: neither the idle timeout nor the round's deadline can be what ends it
      AdminGrpc.newBlockingStub(f.channel).removeNode(RemoveNodeRequest.newBuilder().setNodeId("holder").setReason("holds uploads").build());
      Throwable error = cut.get(20, TimeUnit.SECONDS);
      assertEquals(Optional.of(Refusal.REMOVED), Refusal.of(error), String.valueOf(error));
      assertEquals(1, queued.get(20, TimeUnit.SECONDS).getAcceptedInRound(), "the honest upload got the permit and was merged");
      assertEquals(0, stagedFilesOf("holder"), "the cut-off upload's staging file is gone");
    }
  }

  private long stagedFilesOf(String node) throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("state").resolve("staging"))) {
      return files.filter(p -> p.getFileName().toString().contains("-" + node + "-")).count();
    }
  }

  private static UpdateReceipt submit(FederationFixture.Node node, RoundAssignment a) {
    try {
      return node.submit(a, FederationFixture.randomDelta(2, 0.01f), 2);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
