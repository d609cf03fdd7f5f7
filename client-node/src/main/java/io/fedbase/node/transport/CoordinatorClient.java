package io.fedbase.node.transport;

import com.google.protobuf.UnsafeByteOperations;
import io.fedbase.encoding.DeltaEncoder;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.JoinResponse;
import io.fedbase.proto.v1.PriorChunk;
import io.fedbase.proto.v1.PriorHeader;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.proto.v1.UpdateTrailer;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.AssignmentWire;
import io.fedbase.wire.Chunks;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.SecureAggregationWire;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The node's side of the Federation protocol over one channel: maps domain values to messages and
 * back, chunks uploads with flow control, resumes prior downloads. Owns no round logic.
 */
public final class CoordinatorClient implements AutoCloseable {

  private static final Duration UNARY_DEADLINE = Duration.ofSeconds(30);
  /** Bound on one prior download; a dead peer is noticed much sooner by keep-alives, and a cut download resumes. */
  private static final Duration FETCH_DEADLINE = Duration.ofMinutes(30);

  private final ManagedChannel channel;
  private final FederationGrpc.FederationBlockingStub blocking;
  private final FederationGrpc.FederationStub async;
  private final int uploadChunkBytes;

  public CoordinatorClient(ManagedChannel channel) {
    this(channel, Chunks.MAX_BYTES);
  }

  /** A client that uploads in chunks of {@code uploadChunkBytes} (1 to {@link Chunks#MAX_BYTES}; the transfer benchmark sweeps it). */
  public CoordinatorClient(ManagedChannel channel, int uploadChunkBytes) {
    if (uploadChunkBytes < 1 || uploadChunkBytes > Chunks.MAX_BYTES) {
      throw new IllegalArgumentException("upload chunks must hold 1 to " + Chunks.MAX_BYTES + " bytes, got " + uploadChunkBytes);
    }
    this.channel = channel;
    this.blocking = FederationGrpc.newBlockingStub(channel);
    this.async = FederationGrpc.newStub(channel);
    this.uploadChunkBytes = uploadChunkBytes;
  }

  /** Joins (idempotent) and rebuilds the coordinator's model from its canonical text. */
  public JoinedModel join(String nodeId, String expectedSpecHash) {
    JoinResponse r =
        blocking
            .withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .join(
                JoinRequest.newBuilder()
                    .setNodeId(nodeId)
                    .setClientVersion(Version.current())
                    .setExpectedSpecHash(expectedSpecHash == null ? "" : expectedSpecHash)
                    .build());
    SupernetSpec spec = SupernetSpec.parseCanonical(r.getModel().getCanonicalText());
    if (!spec.hash().equals(r.getModel().getSpecHash())) {
      throw new IllegalStateException("the coordinator's model text does not hash to the spec hash it sent");
    }
    Set<DeltaEncoding> accepted = new HashSet<>();
    for (int number : r.getPolicy().getAcceptedEncodingsValueList()) {
      DeltaEncoding.fromWireNumber(number).ifPresent(accepted::add);
    }
    return new JoinedModel(
        spec, r.getPriorVersion(), r.getPolicy().getMinNodes(), r.getPolicy().getQuorum(), r.getPolicy().getDeadlineSeconds(), accepted);
  }

  public StatusResponse status() {
    return blocking.withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).getStatus(GetStatusRequest.getDefaultInstance());
  }

  /** What the round stream delivers to a node. */
  public interface RoundStreamListener {

    /** The node is selected for a round. */
    void assigned(Assignment task);

    /** The next step of a secure round the node takes part in. */
    void secureStep(SecureStep step);
  }

  /**
   * Follows the round stream, handing each event to {@code listener} on this thread, until the
   * coordinator ends the stream (returns) or it breaks (throws StatusRuntimeException).
   */
  public void watch(String nodeId, RoundStreamListener listener) {
    Context.CancellableContext context = Context.current().withCancellation();
    try {
      context.run(
          () -> {
            Iterator<RoundEvent> events = blocking.watchRounds(WatchRoundsRequest.newBuilder().setNodeId(nodeId).build());
            while (events.hasNext()) {
              RoundEvent event = events.next();
              if (event.hasAssignment()) {
                listener.assigned(AssignmentWire.fromWire(event.getAssignment()));
              } else if (event.hasSecureAggregation()) {
                listener.secureStep(SecureAggregationWire.fromWire(event.getSecureAggregation()));
              }
            }
          });
    } finally {
      context.cancel(null);
    }
  }

  /** Sends a node's secure-aggregation message for {@code round}. */
  public void sendSecure(String nodeId, long round, SecureMessage message) {
    blocking
        .withDeadlineAfter(UNARY_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .sendSecureAggregation(SecureAggregationWire.toWire(nodeId, round, message));
  }

  /**
   * Downloads prior {@code version} (0 = newest) into {@code target}, resuming from a partial
   * {@code target.part} left by an interrupted call, and verifies the file's SHA-256. Returns the
   * version received. Not safe for two callers on one target at once: the caller serialises them
   * (the node's prior cache holds a lock per version).
   */
  public long fetchPrior(long version, Path target) throws IOException {
    Path part = target.resolveSibling(target.getFileName() + ".part");
    long offset = Files.exists(part) ? Files.size(part) : 0;
    PriorHeader header = null;
    try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      Iterator<PriorChunk> chunks =
          blocking
              .withDeadlineAfter(FETCH_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .fetchPrior(FetchPriorRequest.newBuilder().setVersion(version).setOffset(offset).build());
      while (chunks.hasNext()) {
        PriorChunk chunk = chunks.next();
        if (chunk.hasHeader()) {
          header = chunk.getHeader();
          if (version != 0 && header.getVersion() != version) {
            throw new IOException("asked for prior version " + version + ", got " + header.getVersion());
          }
        } else {
          chunk.getData().writeTo(out);
        }
      }
    } catch (StatusRuntimeException e) {
      if (Refusal.of(e).filter(r -> r == Refusal.OFFSET_OUT_OF_RANGE).isPresent()) {
        // a stale partial file from another version: start over
        Files.deleteIfExists(part);
      }
      throw e;
    }
    if (header == null) {
      throw new IOException("the coordinator sent no prior header");
    }
    if (Files.size(part) != header.getTotalBytes() || !Digests.sha256Hex(part).equalsIgnoreCase(header.getSha256())) {
      Files.deleteIfExists(part);
      throw new IOException("prior version " + header.getVersion() + " arrived corrupt (size or SHA-256 mismatch); retry");
    }
    // readers either see the old file or the whole new one
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return header.getVersion();
  }

  /** The header of a plain float32 delta upload of {@code payloadBytes}, without the node's loss and accuracy. */
  public static UpdateHeader.Builder deltaHeader(long round, String nodeId, long priorVersion, int taskCount, String specHash, long payloadBytes) {
    return deltaHeader(round, nodeId, priorVersion, taskCount, specHash, DeltaEncoding.FLOAT32, payloadBytes);
  }

  /** The header of a delta upload in {@code encoding}, without the node's loss and accuracy. */
  public static UpdateHeader.Builder deltaHeader(
      long round, String nodeId, long priorVersion, int taskCount, String specHash, DeltaEncoding encoding, long payloadBytes) {
    return UpdateHeader.newBuilder()
        .setRound(round)
        .setNodeId(nodeId)
        .setPriorVersion(priorVersion)
        .setTaskCount(taskCount)
        .setEncodingValue(encoding.wireNumber())
        .setSpecHash(specHash)
        .setPayloadBytes(payloadBytes);
  }

  /** Encodes a delta and uploads it as header, chunks and trailer, sending only while the transport is ready. */
  public UpdateReceipt submit(UpdateUpload upload, Duration timeout) throws InterruptedException, TimeoutException {
    return submit(upload, DeltaEncoder.encode(upload.delta(), upload.encoding(), upload.roundingSeed()), timeout);
  }

  /** Uploads {@code payload}, the delta of {@code upload} already in its encoding (a masked one, say). */
  public UpdateReceipt submit(UpdateUpload upload, ByteBuffer payload, Duration timeout) throws InterruptedException, TimeoutException {
    UpdateHeader header =
        deltaHeader(
                upload.round(),
                upload.nodeId(),
                upload.priorVersion(),
                upload.taskCount(),
                upload.delta().layout().specHash(),
                upload.encoding(),
                payload.remaining())
            .setSupportLossBefore(upload.supportLossBefore())
            .setSupportLossAfter(upload.supportLossAfter())
            .setQueryAccuracy(upload.queryAccuracy())
            .build();
    return stream(header, payload, Digests.sha256(), null, timeout);
  }

  /**
   * Sends {@code header}, {@code payload} in chunks and a trailer with {@code sha256}; exposed for
   * tests that need to send what a correct node never would.
   */
  public UpdateReceipt send(UpdateHeader header, ByteBuffer payload, String sha256, Duration timeout)
      throws InterruptedException, TimeoutException {
    return stream(header, payload, null, sha256, timeout);
  }

  /**
   * Streams an upload. The trailer carries {@code sha256}, or, when {@code digest} is given, the
   * hash of the chunks as they were sent: hashing on the way saves a pass over the payload before
   * the first byte leaves (BENCHMARKS §7).
   */
  private UpdateReceipt stream(UpdateHeader header, ByteBuffer payload, MessageDigest digest, String sha256, Duration timeout)
      throws InterruptedException, TimeoutException {
    CompletableFuture<UpdateReceipt> result = new CompletableFuture<>();
    ByteBuffer remaining = payload.duplicate();
    async
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .submitUpdate(
            new ClientResponseObserver<UpdateChunk, UpdateReceipt>() {
              private boolean headerSent;
              private boolean trailerSent;

              @Override
              public void beforeStart(ClientCallStreamObserver<UpdateChunk> requests) {
                requests.setOnReadyHandler(
                    () -> {
                      while (requests.isReady() && !trailerSent) {
                        if (!headerSent) {
                          requests.onNext(UpdateChunk.newBuilder().setHeader(header).build());
                          headerSent = true;
                        } else if (remaining.hasRemaining()) {
                          ByteBuffer slice = remaining.slice();
                          slice.limit(Math.min(uploadChunkBytes, slice.remaining()));
                          remaining.position(remaining.position() + slice.remaining());
                          if (digest != null) {
                            digest.update(slice.duplicate());
                          }
                          // gRPC serializes the message inside onNext, and the payload is not touched meanwhile
                          requests.onNext(UpdateChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(slice)).build());
                        } else {
                          String trailer = digest != null ? HexFormat.of().formatHex(digest.digest()) : sha256;
                          requests.onNext(
                              UpdateChunk.newBuilder().setTrailer(UpdateTrailer.newBuilder().setSha256(trailer)).build());
                          trailerSent = true;
                          requests.onCompleted();
                        }
                      }
                    });
              }

              @Override
              public void onNext(UpdateReceipt receipt) {
                result.complete(receipt);
              }

              @Override
              public void onError(Throwable t) {
                result.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                if (!result.isDone()) {
                  result.completeExceptionally(
                      Status.INTERNAL.withDescription("the coordinator closed the upload without a receipt").asRuntimeException());
                }
              }
            });
    try {
      return result.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw Status.INTERNAL.withCause(e.getCause()).withDescription(String.valueOf(e.getCause())).asRuntimeException();
    }
  }

  /** The channel is the caller's; this only closes what it opened (nothing). */
  @Override
  public void close() {
    // stubs hold no resources of their own
  }

  public ManagedChannel channel() {
    return channel;
  }
}
