package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.fedbase.testing.Eventually;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fifty nodes upload at once to a coordinator process whose heap is smaller than the sum of their
 * deltas: at most {@code --max-concurrent-uploads} payloads are read at once, the rest wait under
 * gRPC flow control, and every upload is spooled to disk chunk by chunk, so every one is accepted,
 * the round commits, and the process stays within its memory. (Without the cap, the same burst
 * exhausts the coordinator's direct memory and the connection dies with INTERNAL.)
 */
class BurstUploadTest {

  private static final int NODES = 50;
  private static final String HEAP = "96m";
  private static final SupernetSpec SPEC = SupernetSpec.profile("small").toBuilder().setChannels(64).setWays(2).build();

  @TempDir Path dir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void fiftyConcurrentUploadsOnASmallHeap() throws Exception {
    long payloadBytes = (long) BundleLayout.of(SPEC).totalSize() * Float.BYTES;
    assertTrue(NODES * payloadBytes > 96L << 20, "the burst must exceed the heap for the test to mean anything");
    int port = ProcessFixture.freePort();
    try (ProcessFixture processes = new ProcessFixture(dir)) {
      Process coordinator =
          processes.launch(
              "coordinator",
              HEAP,
              List.of(
                  "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
                  "--state-dir", dir.resolve("state").toString(), "--channels", "64", "--ways", "2", "--min-nodes", Integer.toString(NODES),
                  "--quorum", Integer.toString(NODES), "--tasks-per-node", "1", "--round-deadline", "3m"));
      processes.awaitVersion(port, 0, Duration.ofMinutes(1));
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        FederationGrpc.FederationBlockingStub blocking = FederationGrpc.newBlockingStub(channel);
        ConcurrentHashMap<String, RoundAssignment> assignments = new ConcurrentHashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
          String id = String.format("node-%02d", i);
          ids.add(id);
          blocking.withDeadlineAfter(10, TimeUnit.SECONDS).join(JoinRequest.newBuilder().setNodeId(id).build());
          FederationGrpc.newStub(channel)
              .watchRounds(
                  WatchRoundsRequest.newBuilder().setNodeId(id).build(),
                  new StreamObserver<>() {
                    @Override
                    public void onNext(RoundEvent e) {
                      if (e.hasAssignment()) {
                        assignments.put(id, e.getAssignment());
                      }
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  });
        }
        Eventually.await("an assignment for every node", Duration.ofSeconds(60), assignments::size, n -> n == NODES);

        float[] delta = new float[BundleLayout.of(SPEC).totalSize()];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < delta.length; i++) {
          delta[i] = (float) (rng.nextGaussian() * 1e-3);
        }
        ByteBuffer payload = ByteBuffer.allocate(delta.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        payload.asFloatBuffer().put(delta);
        String sha = Digests.sha256Hex(payload);
        CoordinatorClient client = new CoordinatorClient(channel);
        ExecutorService pool = Executors.newFixedThreadPool(NODES);
        List<Future<UpdateReceipt>> receipts = new ArrayList<>();
        for (String id : ids) {
          RoundAssignment a = assignments.get(id);
          UpdateHeader header = CoordinatorClient.deltaHeader(a.getRound(), id, a.getPriorVersion(), 1, BundleLayout.of(SPEC).specHash(), payload.capacity()).build();
          receipts.add(pool.submit(() -> client.send(header, payload.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), sha, Duration.ofMinutes(3))));
        }
        for (Future<UpdateReceipt> r : receipts) {
          assertEquals(assignments.values().iterator().next().getRound(), r.get(4, TimeUnit.MINUTES).getRound());
        }
        pool.shutdown();
        assertEquals(1, processes.awaitVersion(port, 1, Duration.ofMinutes(2)), "the round of fifty commits");
        assertTrue(coordinator.isAlive(), "the coordinator survived the burst");
        long peakKb = ProcStatus.kib(coordinator.pid(), "VmHWM:");
        assertTrue(peakKb > 0, "the coordinator's peak RSS is readable");
        // JVM and libraries ~150 MB, a 96 MB heap, Netty's direct buffers under flow control
        assertTrue(peakKb < 450_000, "coordinator peak RSS " + peakKb / 1024 + " MB for a " + NODES * payloadBytes / (1 << 20) + " MB burst");
        String log = Files.readString(dir.resolve("coordinator.log"));
        assertTrue(!log.contains("OutOfMemoryError"), "no OutOfMemoryError in the coordinator's log");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
