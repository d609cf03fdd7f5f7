package io.fedbase.coordinator;

import com.google.protobuf.ByteString;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundCoordinator;
import io.fedbase.coordinator.round.RoundEvents;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.strategy.Strategies;
import io.fedbase.coordinator.transport.CoordinatorServer;
import io.fedbase.coordinator.transport.FederationService;
import io.fedbase.coordinator.transport.TransferObserver;
import io.fedbase.coordinator.transport.UploadLimits;
import io.fedbase.encoding.DeltaEncoder;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.meta.Schedule;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateEncoding;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.proto.v1.UpdateTrailer;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.testing.ManualTime;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real coordinator (store on disk, round state machine, gRPC service) behind an in-process
 * server, and raw stubs to play nodes that may misbehave in any way the protocol allows.
 */
final class FederationFixture implements AutoCloseable {

  static final SupernetSpec SPEC = SupernetSpec.profile("small");
  static final BundleLayout LAYOUT = BundleLayout.of(SPEC);
  static final MetaOptimizer OPTIMIZER = FiniteDifferenceUpdate.defaults();
  static final int SCHEDULE_ROUNDS = 10;

  final Path stateDir;
  final Bundle initial;
  final RoundCoordinator coordinator;
  final CoordinatorServer server;
  final ManagedChannel channel;
  /** The in-process server's name (when not served by an injected builder). */
  private final String name;
  /** Health of the Federation service, and a call's status, before the state was restored. */
  final io.grpc.health.v1.HealthCheckResponse.ServingStatus restoring;
  io.grpc.Status.Code callWhileRestoring;
  final FederationGrpc.FederationBlockingStub blocking;
  final FederationGrpc.FederationStub async;
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);

  FederationFixture(Path stateDir, int minNodes, int quorum, Duration deadline, long targetRounds) throws Exception {
    this(stateDir, minNodes, quorum, deadline, targetRounds, null);
  }

  FederationFixture(
      Path stateDir, int minNodes, int quorum, Duration deadline, long targetRounds, CoordinatorMetrics metrics)
      throws Exception {
    this(stateDir, minNodes, quorum, deadline, targetRounds, metrics, null, null, io.fedbase.coordinator.aggregate.NormBound.none());
  }

  /**
   * A fixture served by {@code serverBuilder} (null: in-process) and reached through the channel
   * {@code channelFor} opens to the bound port (null: in-process).
   */
  FederationFixture(
      Path stateDir,
      int minNodes,
      int quorum,
      Duration deadline,
      long targetRounds,
      CoordinatorMetrics metrics,
      io.grpc.ServerBuilder<?> serverBuilder,
      java.util.function.IntFunction<ManagedChannel> channelFor,
      io.fedbase.coordinator.aggregate.NormBound normBound)
      throws Exception {
    this(stateDir, minNodes, quorum, deadline, targetRounds, metrics, serverBuilder, channelFor, normBound, UnaryOperator.identity());
  }

  /** As above, with the federation's settings adjusted by {@code customize}. */
  FederationFixture(
      Path stateDir,
      int minNodes,
      int quorum,
      Duration deadline,
      long targetRounds,
      CoordinatorMetrics metrics,
      io.grpc.ServerBuilder<?> serverBuilder,
      java.util.function.IntFunction<ManagedChannel> channelFor,
      io.fedbase.coordinator.aggregate.NormBound normBound,
      UnaryOperator<FederationSettings> customize)
      throws Exception {
    this(stateDir, minNodes, quorum, deadline, targetRounds, metrics, serverBuilder, channelFor, normBound, customize, null, FederationService.DEFAULT_CONCURRENT_UPLOADS, null);
  }

  /**
   * As above; with {@code time} the round engine and the upload watchdog run on that manual
   * timeline, uploads going silent for {@code uploadIdle} are cut off, and {@code maxConcurrentUploads}
   * stream at once.
   */
  FederationFixture(
      Path stateDir,
      int minNodes,
      int quorum,
      Duration deadline,
      long targetRounds,
      CoordinatorMetrics metrics,
      io.grpc.ServerBuilder<?> serverBuilder,
      java.util.function.IntFunction<ManagedChannel> channelFor,
      io.fedbase.coordinator.aggregate.NormBound normBound,
      UnaryOperator<FederationSettings> customize,
      ManualTime time,
      int maxConcurrentUploads,
      Duration uploadIdle)
      throws Exception {
    this.stateDir = stateDir;
    this.initial = ParameterInitializer.initialize(SPEC, 5);
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(minNodes, quorum, deadline))
            .setTasks(new TaskSpec(4, 5, 5))
            .optTau(Schedule.linear(1.0, 0.3))
            .optScheduleRounds(SCHEDULE_ROUNDS)
            .optSeed(11)
            .optTargetRounds(targetRounds)
            .optNormBound(normBound)
            .build();
    settings = customize.apply(settings);
    coordinator =
        new RoundCoordinator(
            SPEC, settings, Strategies.of(settings, LAYOUT), OPTIMIZER, new CheckpointStore(stateDir, LAYOUT), time != null ? time.clock() : Clock.systemUTC(),
            time != null ? time.scheduler() : scheduler, Duration.ofMillis(200), metrics == null ? RoundEvents.none() : metrics);
    this.name = InProcessServerBuilder.generateName();
    io.grpc.ServerBuilder<?> builder = serverBuilder != null ? serverBuilder : InProcessServerBuilder.forName(name).directExecutor();
    UploadLimits limits = time != null ? new UploadLimits(uploadIdle, time.clock(), time.scheduler()) : null;
    server = new CoordinatorServer(builder, coordinator, Duration.ofSeconds(2), metrics == null ? TransferObserver.none() : metrics, maxConcurrentUploads, limits).start();
    channel = channelFor != null ? channelFor.apply(server.port()) : InProcessChannelBuilder.forName(name).directExecutor().build();
    restoring = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
        .check(io.grpc.health.v1.HealthCheckRequest.newBuilder().setService("fedbase.v1.Federation").build()).getStatus();
    try {
      FederationGrpc.newBlockingStub(channel).getStatus(io.fedbase.proto.v1.GetStatusRequest.getDefaultInstance());
      callWhileRestoring = io.grpc.Status.Code.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      callWhileRestoring = e.getStatus().getCode();
    }
    coordinator.start(initial);
    server.serving();
    blocking = FederationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    async = FederationGrpc.newStub(channel);
  }

  /** Another in-process channel to the same server, e.g. one to break like a crashed node's. */
  ManagedChannel newChannel() {
    return InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** A node that joined and watches rounds; its events land in a queue. */
  final class Node {
    final String id;
    final BlockingQueue<RoundEvent> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    /** Its calls go over the fixture's channel (with mutual TLS: the fixture's certificate). */
    private final FederationGrpc.FederationStub calls;

    Node(String id) {
      this(id, channel);
    }

    /** A node calling over {@code over}, e.g. a channel with a certificate of its own. */
    Node(String id, ManagedChannel over) {
      this.id = id;
      this.calls = FederationGrpc.newStub(over);
      FederationGrpc.newBlockingStub(over).withDeadlineAfter(30, TimeUnit.SECONDS).join(JoinRequest.newBuilder().setNodeId(id).build());
      calls.watchRounds(
          WatchRoundsRequest.newBuilder().setNodeId(id).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(RoundEvent e) {
              events.add(e);
            }

            @Override
            public void onError(Throwable t) {
              ended.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              ended.complete(null);
            }
          });
    }

    /** The next assignment pushed to this node (keep-alives skipped). */
    RoundAssignment nextAssignment() throws InterruptedException {
      while (true) {
        RoundEvent e = events.poll(20, TimeUnit.SECONDS);
        if (e == null) {
          throw new AssertionError("node " + id + " got no assignment within 20 s");
        }
        if (e.hasAssignment()) {
          return e.getAssignment();
        }
      }
    }

    UpdateHeader.Builder header(RoundAssignment a, int tasks) {
      return UpdateHeader.newBuilder()
          .setRound(a.getRound())
          .setNodeId(id)
          .setPriorVersion(a.getPriorVersion())
          .setTaskCount(tasks)
          .setEncoding(UpdateEncoding.UPDATE_ENCODING_FLOAT32_DELTA)
          .setSpecHash(LAYOUT.specHash())
          .setPayloadBytes((long) LAYOUT.totalSize() * Float.BYTES)
          .setSupportLossAfter(0.5)
          .setQueryAccuracy(0.75);
    }

    UpdateReceipt submit(RoundAssignment a, Bundle delta, int tasks) throws Exception {
      return send(chunks(header(a, tasks).build(), bytesOf(delta), null));
    }

    /** Sends raw chunks as this node and waits for the receipt (or the error status). */
    UpdateReceipt send(List<UpdateChunk> chunks) throws Exception {
      return FederationFixture.send(calls, chunks);
    }

    /** Opens an upload as this node; the chunks are the caller's to send. */
    StreamObserver<UpdateChunk> openUpload(CompletableFuture<UpdateReceipt> result) {
      return FederationFixture.openUpload(calls, result);
    }

    /** Opens an upload for {@code a}, sends its header and first chunk, then nothing; completes with how the call ended. */
    CompletableFuture<Throwable> hold(RoundAssignment a) {
      CompletableFuture<UpdateReceipt> receipt = new CompletableFuture<>();
      StreamObserver<UpdateChunk> requests = openUpload(receipt);
      List<UpdateChunk> chunks = chunks(header(a, 2).build(), bytesOf(randomDelta(9, 0.01f)), null);
      requests.onNext(chunks.get(0));
      requests.onNext(chunks.get(1));
      return receipt.handle((r, error) -> error);
    }

    /** Uploads {@code delta} in {@code encoding}, rounded with {@code seed}. */
    UpdateReceipt submit(RoundAssignment a, Bundle delta, int tasks, DeltaEncoding encoding, long seed) throws Exception {
      ByteBuffer payload = DeltaEncoder.encode(delta, encoding, seed);
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      return send(chunks(header(a, tasks).setEncodingValue(encoding.wireNumber()).setPayloadBytes(bytes.length).build(), bytes, null));
    }
  }

  /** Opens an upload whose receipt (or error status) completes {@code result}; the chunks are the caller's to send. */
  StreamObserver<UpdateChunk> openUpload(CompletableFuture<UpdateReceipt> result) {
    return openUpload(async, result);
  }

  private static StreamObserver<UpdateChunk> openUpload(FederationGrpc.FederationStub async, CompletableFuture<UpdateReceipt> result) {
    return async.submitUpdate(
        new StreamObserver<>() {
          @Override
          public void onNext(UpdateReceipt r) {
            result.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            // the receipt came first
          }
        });
  }

  /** Sends raw chunks and waits for the receipt (or the error status). */
  UpdateReceipt send(List<UpdateChunk> chunks) throws Exception {
    return send(async, chunks);
  }

  private static UpdateReceipt send(FederationGrpc.FederationStub async, List<UpdateChunk> chunks) throws Exception {
    CompletableFuture<UpdateReceipt> result = new CompletableFuture<>();
    StreamObserver<UpdateChunk> requests = openUpload(async, result);
    for (UpdateChunk c : chunks) {
      requests.onNext(c);
    }
    requests.onCompleted();
    try {
      return result.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  /** Header, payload split into chunks of at most 64 KiB, trailer with the payload's SHA-256 (or {@code sha}). */
  static List<UpdateChunk> chunks(UpdateHeader header, byte[] payload, String sha) {
    return chunks(header, payload, sha, 65536);
  }

  /** Header, {@code payload} in chunks of {@code chunkBytes}, and a trailer with {@code sha} (null: the right one). */
  static List<UpdateChunk> chunks(UpdateHeader header, byte[] payload, String sha, int chunkBytes) {
    List<UpdateChunk> out = new ArrayList<>();
    out.add(UpdateChunk.newBuilder().setHeader(header).build());
    for (int off = 0; off < payload.length; off += chunkBytes) {
      out.add(UpdateChunk.newBuilder().setData(ByteString.copyFrom(payload, off, Math.min(chunkBytes, payload.length - off))).build());
    }
    out.add(UpdateChunk.newBuilder().setTrailer(UpdateTrailer.newBuilder().setSha256(sha == null ? sha256(payload) : sha)).build());
    return out;
  }

  /** Bytes staged so far for {@code node}'s uploads ("" for every node's) in the coordinator's staging folder. */
  long stagedBytes(String node) {
    Path staging = stateDir.resolve("staging");
    if (!java.nio.file.Files.isDirectory(staging)) {
      return 0;
    }
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(staging)) {
      long bytes = 0;
      for (Path p : files.filter(p -> node.isEmpty() || p.getFileName().toString().contains("-" + node + "-")).toList()) {
        bytes += java.nio.file.Files.size(p);
      }
      return bytes;
    } catch (java.io.IOException e) {
      // a file merged and deleted while being listed
      return 0;
    }
  }

  static byte[] bytesOf(Bundle b) {
    float[] v = b.toArray();
    ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v);
    return buf.array();
  }

  static String sha256(byte[] bytes) {
    return Digests.sha256Hex(java.nio.ByteBuffer.wrap(bytes));
  }

  static Bundle randomDelta(long seed, float scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[LAYOUT.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextGaussian() * scale);
    }
    return Bundle.of(LAYOUT, v);
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    server.close();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    scheduler.shutdownNow();
    scheduler.awaitTermination(5, TimeUnit.SECONDS);
  }
}
