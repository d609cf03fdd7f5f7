package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.LAYOUT;
import static io.fedbase.coordinator.FederationFixture.OPTIMIZER;
import static io.fedbase.coordinator.FederationFixture.SCHEDULE_ROUNDS;
import static io.fedbase.coordinator.FederationFixture.bytesOf;
import static io.fedbase.coordinator.FederationFixture.chunks;
import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static io.fedbase.coordinator.FederationFixture.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.WeightedSum;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.encoding.DeltaEncoder;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.encoding.WireRoundTrip;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.JoinResponse;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateEncoding;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.space.Digests;
import io.fedbase.testing.Eventually;
import io.fedbase.wire.Refusal;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rounds over a real in-process gRPC coordinator, with nodes played by raw stubs. */
class RoundProtocolTest {

  @TempDir Path dir;

  @Test
  void aRoundOfThreeNodesAppliesTheTaskWeightedMeanOfTheirDeltas() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 3, 3, Duration.ofSeconds(30), 0)) {
      List<FederationFixture.Node> nodes = List.of(f.new Node("a"), f.new Node("b"), f.new Node("c"));
      List<RoundAssignment> assignments = new ArrayList<>();
      for (FederationFixture.Node n : nodes) {
        assignments.add(n.nextAssignment());
      }
      assertEquals(List.of(0L, 2L, 4L), assignments.stream().map(RoundAssignment::getFirstTask).toList());
      assertTrue(assignments.stream().allMatch(a -> a.getRound() == 1 && a.getPriorVersion() == 0 && a.getTasks() == 2));
      assertEquals(List.of("a", "b", "c"), assignments.get(0).getParticipantsList());

      Bundle[] deltas = {randomDelta(1, 0.01f), randomDelta(2, 0.02f), randomDelta(3, 0.03f)};
      int[] tasks = {1, 2, 2};
      for (int i = 0; i < 3; i++) {
        UpdateReceipt r = nodes.get(i).submit(assignments.get(i), deltas[i], tasks[i]);
        assertEquals(i + 1, r.getAcceptedInRound());
        assertFalse(r.getDuplicate());
      }
      StatusResponse status = awaitStatus(f, s -> s.getPriorVersion() == 1);
      assertTrue(status.getRecentRounds(0).getCommitted());
      assertEquals(5, status.getRecentRounds(0).getTasks());

      WeightedSum sum = new WeightedSum(LAYOUT);
      for (int i = 0; i < 3; i++) {
        sum.add(deltas[i], tasks[i]);
      }
      Bundle expected = OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS);
      Bundle committed = BundleFiles.read(dir.resolve("prior-v00000001.fbb"), LAYOUT).bundle();
      assertArrayEquals(expected.toArray(), committed.toArray(), 1e-7f);
      assertArrayEquals(committed.toArray(), f.coordinator.current().prior().toArray(), 0f);

      CommitManifest manifest = new CheckpointStore(dir, LAYOUT).readManifest(1).orElseThrow();
      assertEquals(1, manifest.version());
      assertEquals(0, manifest.baseVersion());
      assertEquals(sha256(Files.readAllBytes(dir.resolve("prior-v00000000.fbb"))), manifest.baseSha256());
      assertEquals(sha256(Files.readAllBytes(dir.resolve("prior-v00000001.fbb"))), manifest.resultSha256());
      assertEquals(3, manifest.uploads().size());
      for (int i = 0; i < 3; i++) {
        CommitManifest.Upload u = manifest.uploads().get(i);
        assertEquals(nodes.get(i).id, u.node());
        assertEquals(sha256(bytesOf(deltas[i])), u.sha256(), "the digest identifies the payload that was merged");
        assertEquals(tasks[i], u.tasks());
        assertEquals(1f, u.weightScale());
      }
      assertEquals(OPTIMIZER.toString(), manifest.metaOptimizer());
      assertEquals("mean", manifest.aggregation());
      assertEquals(2, nodes.get(0).nextAssignment().getRound(), "the next round opens by itself");
    }
  }

  @Test
  void encodedUploadsAreDecodedBeforeTheyAreMerged() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 3, 3, Duration.ofSeconds(30), 0)) {
      List<FederationFixture.Node> nodes = List.of(f.new Node("a"), f.new Node("b"), f.new Node("c"));
      DeltaEncoding[] encodings = {DeltaEncoding.FLOAT16, DeltaEncoding.BFLOAT16, DeltaEncoding.INT8};
      Bundle[] deltas = {randomDelta(1, 0.01f), randomDelta(2, 0.02f), randomDelta(3, 0.03f)};
      WeightedSum sum = new WeightedSum(LAYOUT);
      for (int i = 0; i < 3; i++) {
        RoundAssignment a = nodes.get(i).nextAssignment();
        assertEquals(i + 1, nodes.get(i).submit(a, deltas[i], 2, encodings[i], 40 + i).getAcceptedInRound());
        sum.add(WireRoundTrip.of(deltas[i], encodings[i], 40 + i), 2);
      }
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      Bundle expected = OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS);
      Bundle committed = BundleFiles.read(dir.resolve("prior-v00000001.fbb"), LAYOUT).bundle();
      assertArrayEquals(expected.toArray(), committed.toArray(), 1e-7f);
      CommitManifest manifest = new CheckpointStore(dir, LAYOUT).readManifest(1).orElseThrow();
      assertEquals(LAYOUT.totalSize() + 4L * LAYOUT.tensors().size(), DeltaEncoding.INT8.payloadBytes(LAYOUT));
assertEquals(
          Digests.sha256Hex(DeltaEncoder.encode(deltas[2], DeltaEncoding.INT8, 42)),
          manifest.uploads().get(2).sha256(),
          "the manifest records the digest of the bytes as sent");
    }
  }

  @Test
  void anEncodingTheFederationDoesNotAcceptIsRefusedAndJoinSaysWhichItDoes() throws Exception {
    try (FederationFixture f =
        new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0, null, null, null, NormBound.none(), s -> s.toBuilder().optAcceptedEncodings(Set.of(DeltaEncoding.FLOAT32, DeltaEncoding.BFLOAT16)).build())) {
      FederationFixture.Node a = f.new Node("a");
      JoinResponse joined = f.blocking.join(JoinRequest.newBuilder().setNodeId("a").build());
      assertEquals(
          List.of(UpdateEncoding.UPDATE_ENCODING_FLOAT32_DELTA, UpdateEncoding.UPDATE_ENCODING_BFLOAT16_DELTA),
          joined.getPolicy().getAcceptedEncodingsList());
      RoundAssignment ra = a.nextAssignment();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> a.submit(ra, randomDelta(1, 0.01f), 2, DeltaEncoding.INT8, 1));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("accepts [fp32, bf16]"), e.getStatus().getDescription());
      // a header naming a future encoding this coordinator does not know is refused the same way
      StatusRuntimeException unknown =
          assertThrows(
              StatusRuntimeException.class,
              () -> f.send(chunks(a.header(ra, 2).setEncodingValue(99).build(), bytesOf(randomDelta(1, 0.01f)), null)));
      assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
      // float32 chunks that split values are reassembled (the protocol lets a chunk end anywhere)
      byte[] payload = bytesOf(randomDelta(1, 0.01f));
      assertEquals(1, f.send(chunks(a.header(ra, 2).build(), payload, null, 1001)).getAcceptedInRound());
    }
  }

  /** A payload whose int8 scale is not a number is refused before anything is merged. */
  @Test
  void anInt8PayloadWithABadScaleIsRefused() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      FederationFixture.Node a = f.new Node("a");
      RoundAssignment ra = a.nextAssignment();
      ByteBuffer payload = DeltaEncoder.encode(randomDelta(1, 0.01f), DeltaEncoding.INT8, 1);
      payload.putFloat(0, Float.NaN);
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> f.send(chunks(a.header(ra, 2).setEncodingValue(DeltaEncoding.INT8.wireNumber()).setPayloadBytes(bytes.length).build(), bytes, null)));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("int8 scale"), e.getStatus().getDescription());
      assertEquals(0, f.coordinator.status().priorVersion());
    }
  }

  @Test
  void normBoundsClipOrRefuseOutlyingUploads() throws Exception {
    Bundle small = randomDelta(1, 0.01f);
    Bundle huge = randomDelta(2, 1f);
    double[] smallNorms = norms(small);
    double weightBound = smallNorms[0] * 2;
    double logitBound = smallNorms[1] * 2;
    Path refuseDir = dir.resolve("refuse");
    NormBound refuse = new NormBound(weightBound, logitBound, NormBound.Action.REFUSE);
    try (FederationFixture f = new FederationFixture(refuseDir, 2, 1, Duration.ofSeconds(2), 0, null, null, null, refuse)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      Exception e = assertThrows(Exception.class, () -> b.submit(rb, huge, 2));
      assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(e).getCode());
      assertTrue(Status.fromThrowable(e).getDescription().contains("weight part's L2 norm"), Status.fromThrowable(e).getDescription());
      a.submit(ra, small, 2);
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      Bundle expected = OPTIMIZER.step(f.initial, small, 0, SCHEDULE_ROUNDS);
      assertArrayEquals(expected.toArray(), f.coordinator.current().prior().toArray(), 1e-7f, "only the bounded upload counts");
    }
    Path clipDir = dir.resolve("clip");
    NormBound clip = new NormBound(weightBound, logitBound, NormBound.Action.CLIP);
    try (FederationFixture f = new FederationFixture(clipDir, 2, 2, Duration.ofSeconds(30), 0, null, null, null, clip)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      a.submit(ra, small, 1);
      b.submit(rb, huge, 1);
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      double[] hugeNorms = norms(huge);
      float[] clipped = huge.toArray();
      for (int t = 0; t < LAYOUT.tensors().size(); t++) {
        double scale = LAYOUT.tensors().get(t).logits() ? logitBound / hugeNorms[1] : weightBound / hugeNorms[0];
        for (int i = LAYOUT.offset(t); i < LAYOUT.end(t); i++) {
          clipped[i] *= (float) scale;
        }
      }
      WeightedSum sum = new WeightedSum(LAYOUT);
      sum.add(small, 1);
      sum.add(Bundle.of(LAYOUT, clipped), 1);
      Bundle expected = OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS);
      assertArrayEquals(expected.toArray(), f.coordinator.current().prior().toArray(), 1e-6f, "the outlier is scaled down to the bounds");
      CommitManifest.Upload clippedUpload =
          new CheckpointStore(clipDir, LAYOUT).readManifest(1).orElseThrow().uploads().stream().filter(u -> u.node().equals("b")).findFirst().orElseThrow();
      assertEquals(weightBound / hugeNorms[0], clippedUpload.weightScale(), 1e-6, "the manifest records the clipping");
      assertEquals(hugeNorms[0], clippedUpload.weightNorm(), 1e-3);
    }
  }

  @Test
  void aBrokenUploadNeverCountsAndTheNodeUploadsAgain() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofSeconds(30), 0)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      Bundle da = randomDelta(11, 0.01f);
      Bundle db = randomDelta(12, 0.01f);
      // a dies half-way through its upload: the stream breaks without a trailer
      List<UpdateChunk> full = chunks(a.header(ra, 2).build(), bytesOf(da), null);
      io.grpc.stub.StreamObserver<UpdateChunk> requests =
          f.async.submitUpdate(
              new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(UpdateReceipt r) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
      for (UpdateChunk c : full.subList(0, full.size() / 2)) {
        requests.onNext(c);
      }
      requests.onError(new RuntimeException("node killed"));
      b.submit(rb, db, 2);
      // the retry after the break is accepted (nothing of the broken stream was kept)
      UpdateReceipt retry = null;
      for (int i = 0; i < 50 && retry == null; i++) {
        try {
          retry = a.submit(ra, da, 2);
        } catch (StatusRuntimeException e) {
          assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), "only 'still in progress' may delay the retry: " + e.getStatus());
          Thread.sleep(100);
        }
      }
      assertEquals(2, retry.getAcceptedInRound());
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      WeightedSum sum = new WeightedSum(LAYOUT);
      sum.add(da, 2);
      sum.add(db, 2);
      assertArrayEquals(OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS).toArray(), f.coordinator.current().prior().toArray(), 1e-7f);
      CommitManifest m = new CheckpointStore(dir, LAYOUT).readManifest(1).orElseThrow();
      assertEquals(List.of("b", "a"), m.uploads().stream().map(CommitManifest.Upload::node).toList());
      try (var staged = Files.walk(dir)) {
        assertEquals(0, staged.filter(p -> p.toString().endsWith(".part")).count(), "the broken upload's staging file is gone");
      }
    }
  }

  /** {weight-part norm, logit-part norm}. */
  private static double[] norms(Bundle b) {
    double[] sq = new double[2];
    float[] v = b.toArray();
    for (int t = 0; t < LAYOUT.tensors().size(); t++) {
      int k = LAYOUT.tensors().get(t).logits() ? 1 : 0;
      for (int i = LAYOUT.offset(t); i < LAYOUT.end(t); i++) {
        sq[k] += (double) v[i] * v[i];
      }
    }
    return new double[] {Math.sqrt(sq[0]), Math.sqrt(sq[1])};
  }

  @Test
  void aNodeThatMissesTheDeadlineIsDroppedAndTheQuorumCommits() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 3, 2, Duration.ofMillis(1500), 0)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      FederationFixture.Node c = f.new Node("c");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      RoundAssignment rc = c.nextAssignment();
      Bundle da = randomDelta(4, 0.01f);
      Bundle db = randomDelta(5, 0.01f);
      a.submit(ra, da, 2);
      b.submit(rb, db, 2);
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      WeightedSum sum = new WeightedSum(LAYOUT);
      sum.add(da, 2);
      sum.add(db, 2);
      assertArrayEquals(
          OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS).toArray(), f.coordinator.current().prior().toArray(), 1e-7f);
      StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> c.submit(rc, randomDelta(6, 0.01f), 2));
      assertEquals(Status.Code.FAILED_PRECONDITION, late.getStatus().getCode());
      assertTrue(late.getStatus().getDescription().startsWith("late:"), late.getStatus().getDescription());
    }
  }

  @Test
  void aSelectedNodeThatStaysDisconnectedLosesItsLeaseAndTheRoundClosesWithoutWaitingForTheDeadline() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 3, 2, Duration.ofSeconds(60), 0)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      io.grpc.ManagedChannel crashing = f.newChannel();
      FederationGrpc.newBlockingStub(crashing).join(JoinRequest.newBuilder().setNodeId("c").build());
      java.util.concurrent.BlockingQueue<io.fedbase.proto.v1.RoundEvent> cEvents = new java.util.concurrent.LinkedBlockingQueue<>();
      FederationGrpc.newStub(crashing)
          .watchRounds(
              io.fedbase.proto.v1.WatchRoundsRequest.newBuilder().setNodeId("c").build(),
              new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(io.fedbase.proto.v1.RoundEvent e) {
                  cEvents.add(e);
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
              });
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      assertEquals(List.of("a", "b", "c"), ra.getParticipantsList());
      crashing.shutdownNow();
      long start = System.nanoTime();
      a.submit(ra, randomDelta(21, 0.01f), 2);
      b.submit(rb, randomDelta(22, 0.01f), 2);
      StatusResponse s = awaitStatus(f, st -> st.getPriorVersion() == 1);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 20, "the round closed " + seconds + " s after c vanished, not at the 60 s deadline");
      assertEquals(2, s.getRecentRounds(0).getAcceptedUpdates());
    }
  }

  @Test
  void aRoundBelowQuorumFailsAndLeavesThePriorUntouched() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofMillis(1000), 0)) {
      byte[] before = Files.readAllBytes(dir.resolve("prior-v00000000.fbb"));
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      b.nextAssignment();
      a.submit(ra, randomDelta(7, 0.01f), 2);
      StatusResponse s = awaitStatus(f, st -> st.getRecentRoundsCount() > 0);
      assertFalse(s.getRecentRounds(0).getCommitted());
      assertEquals("quorum not reached: 1 of 2 updates", s.getRecentRounds(0).getReason());
      assertEquals(0, s.getPriorVersion());
      assertArrayEquals(before, Files.readAllBytes(dir.resolve("prior-v00000000.fbb")));
      assertArrayEquals(f.initial.toArray(), f.coordinator.current().prior().toArray(), 0f);
      RoundAssignment next = a.nextAssignment();
      assertEquals(2, next.getRound());
      assertEquals(0, next.getPriorVersion(), "a failed round does not bump the version");
      assertEquals(0, next.getFirstTask(), "the same version draws the same tasks again");
    }
  }

  @Test
  void aNodeExpectingAnotherModelIsRefusedAtJoin() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofSeconds(60), 0)) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> f.blocking.join(JoinRequest.newBuilder().setNodeId("a").setExpectedSpecHash("0".repeat(64)).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
      assertEquals(java.util.Optional.of(Refusal.SPEC_MISMATCH), Refusal.of(e));
      assertTrue(f.coordinator.status().connectedNodes().isEmpty());
      assertEquals(0, f.blocking.join(JoinRequest.newBuilder().setNodeId("a").setExpectedSpecHash(FederationFixture.SPEC.hash()).build()).getPriorVersion(), "the right model joins");
    }
  }

  @Test
  void everyRefusalHasItsStatusAndLeavesTheAggregateUnchanged() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofSeconds(60), 0)) {
      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      f.blocking.join(JoinRequest.newBuilder().setNodeId("bystander").build());
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      Bundle good = randomDelta(8, 0.01f);
      byte[] payload = bytesOf(good);
      UpdateHeader h = a.header(ra, 2).build();

      refused(f, Status.Code.FAILED_PRECONDITION, "unknown_node", chunks(h.toBuilder().setNodeId("zed").build(), payload, null));
      refused(f, Status.Code.PERMISSION_DENIED, "not_selected", chunks(h.toBuilder().setNodeId("bystander").build(), payload, null));
      refused(f, Status.Code.FAILED_PRECONDITION, "wrong_round", chunks(h.toBuilder().setRound(2).build(), payload, null));
      refused(f, Status.Code.FAILED_PRECONDITION, "stale_version", chunks(h.toBuilder().setPriorVersion(3).build(), payload, null));
      refused(f, Status.Code.INVALID_ARGUMENT, "wrong_shape", chunks(h.toBuilder().setSpecHash("0badc0de").build(), payload, null));
      refused(f, Status.Code.INVALID_ARGUMENT, "wrong_shape", chunks(h.toBuilder().setTaskCount(3).build(), payload, null));
      refused(f, Status.Code.INVALID_ARGUMENT, "wrong_shape", chunks(h.toBuilder().setTaskCount(0).build(), payload, null));
      refused(f, Status.Code.INVALID_ARGUMENT, "wrong_shape", chunks(h.toBuilder().setPayloadBytes(payload.length - 4).build(), payload, null));
      refused(f, Status.Code.INVALID_ARGUMENT, "wrong_shape", chunks(h, Arrays.copyOf(payload, payload.length - 8), null));
      refused(f, Status.Code.RESOURCE_EXHAUSTED, "oversized", chunks(h.toBuilder().setPayloadBytes(payload.length + 4).build(), payload, null));
      refused(f, Status.Code.RESOURCE_EXHAUSTED, "oversized", chunks(h, Arrays.copyOf(payload, payload.length + 4), null));
      float[] poisoned = good.toArray();
      poisoned[poisoned.length - 3] = Float.NaN;
      refused(f, Status.Code.INVALID_ARGUMENT, "non_finite", chunks(h, bytesOf(Bundle.of(LAYOUT, poisoned)), null));
      poisoned[poisoned.length - 3] = Float.POSITIVE_INFINITY;
      refused(f, Status.Code.INVALID_ARGUMENT, "non_finite", chunks(h, bytesOf(Bundle.of(LAYOUT, poisoned)), null));
      refused(f, Status.Code.INVALID_ARGUMENT, "checksum_mismatch", chunks(h, payload, "00".repeat(32)));
      refused(
          f,
          Status.Code.INVALID_ARGUMENT,
          "malformed",
          List.of(UpdateChunk.newBuilder().setData(ByteString.copyFrom(payload, 0, 8)).build()));
      // chunks may end anywhere, but three stray bytes make the payload longer than declared
      List<UpdateChunk> ragged = new ArrayList<>(chunks(h, payload, null));
      ragged.add(ragged.size() - 1, UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[3])).build());
      refused(f, Status.Code.RESOURCE_EXHAUSTED, "oversized", ragged);
      List<UpdateChunk> noTrailer = new ArrayList<>(chunks(h, payload, null));
      noTrailer.remove(noTrailer.size() - 1);
      refused(f, Status.Code.INVALID_ARGUMENT, "malformed", noTrailer);

      UpdateReceipt first = a.submit(ra, good, 2);
      assertEquals(1, first.getAcceptedInRound());
      UpdateReceipt again = a.submit(ra, randomDelta(9, 5f), 2);
      assertTrue(again.getDuplicate(), "a retry is acknowledged");
      assertEquals(1, again.getAcceptedInRound(), "and not counted twice");

      Bundle other = randomDelta(10, 0.02f);
      b.submit(rb, other, 1);
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      WeightedSum sum = new WeightedSum(LAYOUT);
      sum.add(good, 2);
      sum.add(other, 1);
      assertArrayEquals(
          OPTIMIZER.step(f.initial, sum.result(), 0, SCHEDULE_ROUNDS).toArray(), f.coordinator.current().prior().toArray(), 1e-7f);
      try (Stream<Path> staged = Files.list(dir.resolve("staging"))) {
        assertEquals(0, staged.count(), "refused uploads leave no staging files");
      }
    }
  }

  @Test
  void theCoordinatorStopsAfterTheTargetRoundsAndEndsTheStreams() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 1)) {
      FederationFixture.Node a = f.new Node("a");
      a.submit(a.nextAssignment(), randomDelta(11, 0.01f), 2);
      f.coordinator.finished().get(20, TimeUnit.SECONDS);
      a.ended.get(20, TimeUnit.SECONDS);
      assertEquals(1, f.coordinator.current().version());
    }
  }

  @Test
  void healthAndReflectionAreServed() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING, f.restoring, "not serving while restoring");
      assertEquals(Status.Code.UNAVAILABLE, f.callWhileRestoring, "calls wait for the restore");
      var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(f.channel);
      assertEquals(
          io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING,
          health.check(io.grpc.health.v1.HealthCheckRequest.newBuilder().setService("fedbase.v1.Federation").build()).getStatus());
      java.util.concurrent.CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> listed = new java.util.concurrent.CompletableFuture<>();
      var requests =
          io.grpc.reflection.v1.ServerReflectionGrpc.newStub(f.channel)
              .serverReflectionInfo(
                  new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                      listed.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                      listed.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                  });
      requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
      List<String> services =
          listed.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
              .map(io.grpc.reflection.v1.ServiceResponse::getName)
              .toList();
      requests.onCompleted();
      assertTrue(services.contains("fedbase.v1.Federation"), services.toString());
      assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
    }
  }

  private static void refused(FederationFixture f, Status.Code code, String label, List<UpdateChunk> chunks) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> f.send(chunks));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().startsWith(label + ":"), e.getStatus().getDescription());
    // the same refusal as a typed reason in the details; the status code is the one it always had
    Refusal expected = label.equals("unknown_node") ? Refusal.NOT_JOINED : Refusal.valueOf(label.toUpperCase(java.util.Locale.ROOT));
    assertEquals(java.util.Optional.of(expected), Refusal.of(e), e.getStatus().toString());
    assertEquals(code, expected.code());
  }

  static StatusResponse awaitStatus(FederationFixture f, Predicate<StatusResponse> condition) throws InterruptedException {
    return Eventually.await("a status condition", Duration.ofSeconds(20), () -> f.blocking.getStatus(GetStatusRequest.getDefaultInstance()), condition);
  }
}
