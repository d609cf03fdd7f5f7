package io.fedbase.coordinator.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateReceiver;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.round.NodeRemovedException;
import io.fedbase.coordinator.round.RoundCoordinator.PriorVersion;
import io.fedbase.coordinator.round.RoundCoordinator;
import io.fedbase.coordinator.round.RoundPhase;
import io.fedbase.coordinator.round.RoundWatcher;
import io.fedbase.coordinator.round.SpecMismatchException;
import io.fedbase.coordinator.round.UploadStart;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.JoinResponse;
import io.fedbase.proto.v1.KeepAlive;
import io.fedbase.proto.v1.PriorChunk;
import io.fedbase.proto.v1.PriorHeader;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.RoundPolicy;
import io.fedbase.proto.v1.SecureAggregationAck;
import io.fedbase.proto.v1.SecureAggregationMessage;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.UpdateEncoding;
import io.fedbase.proto.v1.UpdateReceipt;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.space.Digests;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.AssignmentWire;
import io.fedbase.wire.Chunks;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.SecureAggregationWire;
import io.fedbase.wire.WireText;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Federation gRPC service: translates calls to {@link RoundCoordinator} and back, streams
 * priors with flow control, and turns every refusal into a status with a message.
 */
public final class FederationService extends FederationGrpc.FederationImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(FederationService.class);

  private final RoundCoordinator coordinator;
  private final TransferObserver transfers;
  private final Map<String, String> fileDigests = new ConcurrentHashMap<>();

  /** Uploads that stream at once unless configured otherwise. */
  public static final int DEFAULT_CONCURRENT_UPLOADS = 8;

  private final UploadGate uploads;
  private final UploadLimits limits;

  /**
   * @param maxConcurrentUploads uploads whose payload is read at once; the rest wait their turn
   * @param limits when a silent upload is cut off, and the clock and scheduler that decide it
   */
  public FederationService(RoundCoordinator coordinator, TransferObserver transfers, int maxConcurrentUploads, UploadLimits limits) {
    this.coordinator = coordinator;
    this.transfers = transfers;
    this.uploads = new UploadGate(maxConcurrentUploads);
    this.limits = limits;
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
    long version;
    try {
      version = coordinator.join(request.getNodeId(), request.getExpectedSpecHash());
    } catch (SpecMismatchException e) {
      response.onError(Refusal.SPEC_MISMATCH.exception(e.getMessage()));
      return;
    } catch (IllegalArgumentException e) {
      response.onError(Refusal.MALFORMED.exception(e.getMessage()));
      return;
    } catch (NodeRemovedException e) {
      response.onError(Refusal.REMOVED.exception(e.getMessage()));
      return;
    }
    var policy = coordinator.settings().policy();
    response.onNext(
        JoinResponse.newBuilder()
            .setModel(ProtoMapping.model(coordinator.spec()))
            .setPolicy(
                RoundPolicy.newBuilder()
                    .setMinNodes(policy.minNodes())
                    .setQuorum(policy.quorum())
                    .setDeadlineSeconds((int) policy.deadline().toSeconds())
                    .setMaxUpdateBytes(coordinator.maxUpdateBytes())
                    .addAllAcceptedEncodings(
                        coordinator.settings().acceptedEncodings().stream().sorted().map(e -> UpdateEncoding.forNumber(e.wireNumber())).toList()))
            .setPriorVersion(version)
            .build());
    response.onCompleted();
  }

  @Override
  public void watchRounds(WatchRoundsRequest request, StreamObserver<RoundEvent> response) {
    ServerCallStreamObserver<RoundEvent> stream = (ServerCallStreamObserver<RoundEvent>) response;
    String nodeId = request.getNodeId();
    BooleanSupplier stillValid = AccessControl.STILL_VALID.get();
    RoundWatcher watcher = new StreamWatcher(stream, stillValid == null ? () -> true : stillValid);
    stream.setOnCancelHandler(() -> coordinator.unwatch(nodeId, watcher));
    try {
      coordinator.watch(nodeId, watcher);
    } catch (IllegalStateException e) {
      response.onError(Refusal.NOT_JOINED.exception(e.getMessage()));
    } catch (NodeRemovedException e) {
      response.onError(Refusal.REMOVED.exception(e.getMessage()));
    }
  }

  /** Pushes round events into one node's stream; gRPC's onNext queues and never blocks. */
  private static final class StreamWatcher implements RoundWatcher {
    private final ServerCallStreamObserver<RoundEvent> stream;
    private final BooleanSupplier stillValid;
    private boolean closed;

    StreamWatcher(ServerCallStreamObserver<RoundEvent> stream, BooleanSupplier stillValid) {
      this.stream = stream;
      this.stillValid = stillValid;
    }

    @Override
    public boolean stillAuthorized() {
      return stillValid.getAsBoolean();
    }

    @Override
    public synchronized void assigned(Assignment assignment) {
      send(RoundEvent.newBuilder().setAssignment(AssignmentWire.toWire(assignment)).build());
    }

    @Override
    public synchronized void secureStep(SecureStep step) {
      send(RoundEvent.newBuilder().setSecureAggregation(SecureAggregationWire.toWire(step)).build());
    }

    @Override
    public synchronized void keepAlive(long round, RoundPhase phase, long priorVersion) {
      send(
          RoundEvent.newBuilder()
              .setKeepAlive(
                  KeepAlive.newBuilder().setRound(round).setState(ProtoMapping.state(phase)).setPriorVersion(priorVersion))
              .build());
    }

    @Override
    public synchronized void finished() {
      if (!closed && !stream.isCancelled()) {
        closed = true;
        stream.onCompleted();
      }
    }

    @Override
    public synchronized void shuttingDown() {
      if (!closed && !stream.isCancelled()) {
        closed = true;
        stream.onError(Refusal.SHUTTING_DOWN.exception("the coordinator is shutting down"));
      }
    }

    @Override
    public synchronized void removed(String message) {
      if (!closed && !stream.isCancelled()) {
        closed = true;
        stream.onError(Refusal.REMOVED.exception(message));
      }
    }

    private void send(RoundEvent event) {
      if (closed || stream.isCancelled()) {
        return;
      }
      try {
        stream.onNext(event);
      } catch (RuntimeException e) {
        // the call was cancelled between the check and the send
        closed = true;
      }
    }
  }

  @Override
  public void sendSecureAggregation(SecureAggregationMessage request, StreamObserver<SecureAggregationAck> response) {
    SecureMessage message;
    try {
      message = SecureAggregationWire.fromWire(request);
    } catch (IllegalArgumentException e) {
      response.onError(Refusal.MALFORMED.exception(e.getMessage()));
      return;
    }
    try {
      coordinator.secureMessage(request.getNodeId(), request.getRound(), message);
    } catch (SecAggException e) {
      response.onError(Refusal.SECURE_PROTOCOL.exception(e.reason().label() + ": " + e.getMessage()));
      return;
    } catch (IllegalStateException e) {
      response.onError(Refusal.WRONG_ROUND.exception(e.getMessage()));
      return;
    }
    response.onNext(SecureAggregationAck.newBuilder().setRound(request.getRound()).build());
    response.onCompleted();
  }

  @Override
  public void fetchPrior(FetchPriorRequest request, StreamObserver<PriorChunk> response) {
    ServerCallStreamObserver<PriorChunk> stream = (ServerCallStreamObserver<PriorChunk>) response;
    PriorVersion prior = coordinator.prior(request.getVersion()).orElse(null);
    if (prior == null) {
      response.onError(
          Refusal.NO_SUCH_VERSION.exception("prior version " + request.getVersion() + " does not exist; newest is " + coordinator.current().version()));
      return;
    }
    try {
      long size = Files.size(prior.file());
      // the offset is a uint64: one of 2^63 or more arrives as a negative long
      if (request.getOffset() < 0 || request.getOffset() > size) {
        response.onError(
            Refusal.OFFSET_OUT_OF_RANGE.exception("offset " + Long.toUnsignedString(request.getOffset()) + " is past the end of the " + size + "-byte prior"));
        return;
      }
      String sha = digestOf(prior);
      FileChannel channel = FileChannel.open(prior.file(), StandardOpenOption.READ);
      stream.onNext(
          PriorChunk.newBuilder()
              .setHeader(
                  PriorHeader.newBuilder()
                      .setVersion(prior.version())
                      .setTotalBytes(size)
                      .setSha256(sha)
                      .setOffset(request.getOffset())
                      .setSpecHash(coordinator.spec().hash()))
              .build());
      new PriorSender(stream, channel, request.getOffset(), size, transfers).install();
    } catch (IOException | UncheckedIOException e) {
      response.onError(Refusal.UNAVAILABLE.exception("cannot read prior version " + prior.version() + ": " + e.getMessage()));
    }
  }

  private String digestOf(PriorVersion prior) {
    // committed versions never change, so each file is hashed once
    return fileDigests.computeIfAbsent(
        prior.file().toString() + "@" + prior.version(),
        k -> {
          try {
            return Digests.sha256Hex(prior.file());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /**
   * Sends a committed prior in chunks only while the transport is ready (never buffers the whole
   * file). The file is mapped a window at a time and each chunk wraps its slice of the mapping: no
   * read and no copy before gRPC serializes it (BENCHMARKS §7). Safe because committed priors are
   * written once, by rename, and never change; a pruned one stays readable through the mapping
   * until the download ends.
   */
  private static final class PriorSender implements Runnable {
    /** Bytes mapped at once: a few mappings per download whatever the model size. */
    private static final long WINDOW_BYTES = 256L << 20;

    private final ServerCallStreamObserver<PriorChunk> stream;
    private final FileChannel channel;
    private final long size;
    private final TransferObserver transfers;
    private long position;
    private long windowStart;
    private MappedByteBuffer window;
    private boolean done;

    PriorSender(ServerCallStreamObserver<PriorChunk> stream, FileChannel channel, long offset, long size, TransferObserver transfers) {
      this.stream = stream;
      this.channel = channel;
      this.position = offset;
      this.size = size;
      this.transfers = transfers;
    }

    void install() {
      // the default threshold (32 KiB) is below one chunk: keep the next chunk queued meanwhile
      stream.setOnReadyThreshold(2 * Chunks.MAX_BYTES);
      stream.setOnReadyHandler(this);
      stream.setOnCancelHandler(this::closeChannel);
      run();
    }

    @Override
    public synchronized void run() {
      try {
        while (!done && stream.isReady()) {
          if (position >= size) {
            done = true;
            closeChannel();
            stream.onCompleted();
            return;
          }
          int n = (int) Math.min(Chunks.MAX_BYTES, size - position);
          ByteString chunk = UnsafeByteOperations.unsafeWrap(slice(n));
          position += n;
          transfers.sent(n);
          stream.onNext(PriorChunk.newBuilder().setData(chunk).build());
        }
      } catch (IOException | RuntimeException e) {
        if (!done) {
          done = true;
          closeChannel();
          stream.onError(Refusal.UNAVAILABLE.exception("prior transfer failed: " + e.getMessage()));
        }
      }
    }

    /** The next {@code n} bytes from {@code position}, mapping the window that holds them. */
    private ByteBuffer slice(int n) throws IOException {
      if (window == null || position + n > windowStart + window.limit()) {
        windowStart = position;
        window = channel.map(FileChannel.MapMode.READ_ONLY, position, Math.min(WINDOW_BYTES, size - position));
      }
      return window.slice((int) (position - windowStart), n);
    }

    private void closeChannel() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to do; the mapping stays valid until collected
      }
    }
  }

  @Override
  public StreamObserver<UpdateChunk> submitUpdate(StreamObserver<UpdateReceipt> response) {
    return new UploadObserver((ServerCallStreamObserver<UpdateReceipt>) response);
  }

  /**
   * One upload: header, data chunks, trailer; any refusal ends the call and discards the data.
   * Messages are requested one at a time: the header at once, the payload only while the upload
   * holds a permit of the {@link UploadGate}, and then one chunk ahead of the one being processed.
   */
  /** An upload's standing with the upload gate. */
  private enum Permit {
    /** Neither holding nor asking for one. */
    NONE,
    /** Queued at the gate. */
    WAITING,
    /** Streaming its payload. */
    HELD
  }

  private final class UploadObserver implements StreamObserver<UpdateChunk> {
    private final ServerCallStreamObserver<UpdateReceipt> response;
    /** Whether the caller's certificate still stands; checked on every message. */
    private final BooleanSupplier stillValid;
    private final Runnable granted = this::granted;
    private UpdateHeaderFields header;
    private UpdateReceiver receiver;
    private UpdateReceipt repeatReceipt;
    /** The size of the accepted upload a repeat repeats. */
    private long repeatedBytes;
    /** Bytes of a repeated upload read so far. */
    private long repeatBytes;
    /** Whether this call holds the node's in-progress slot for the round. */
    private boolean holdsSlot;
    private volatile boolean finished;

    /** Where this upload stands with the {@link UploadGate}, guarded by this. */
    private Permit permit = Permit.NONE;
    /** When the last message arrived (or the permit was granted), guarded by this. */
    private Instant lastActivity;
    /** The round's deadline, once the header named an open round; null before. */
    private Instant roundDeadline;
    private ScheduledFuture<?> watchdog;

    UploadObserver(ServerCallStreamObserver<UpdateReceipt> response) {
      this.response = response;
      BooleanSupplier valid = AccessControl.STILL_VALID.get();
      this.stillValid = valid == null ? () -> true : valid;
      response.disableAutoRequest();
      synchronized (this) {
        lastActivity = limits.clock().instant();
        arm(limits.idle());
      }
      response.request(1);
    }

    /** Checks on this upload after {@code delay}. */
    private void arm(Duration delay) {
      watchdog = limits.scheduler().schedule(this::watch, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * Cuts the upload off when its round's deadline has passed, or when it has been silent for the
     * idle timeout while it could send (waiting for a permit is the coordinator's doing, not the
     * node's); else looks again when the next of those could happen.
     */
    private synchronized void watch() {
      if (finished) {
        return;
      }
      Instant now = limits.clock().instant();
      if (roundDeadline != null && !now.isBefore(roundDeadline)) {
        refuse(new UpdateRejectedException(Reason.LATE, "the round's deadline passed during the upload; it was cut off"));
        return;
      }
      Instant idleUntil = permit == Permit.WAITING ? null : lastActivity.plus(limits.idle());
      if (idleUntil != null && !now.isBefore(idleUntil)) {
        refuse(new UpdateRejectedException(Reason.STALLED, "nothing arrived for " + limits.idle().toSeconds() + " s; the upload was cut off"));
        return;
      }
      Instant next = idleUntil != null ? idleUntil : now.plus(limits.idle());
      if (roundDeadline != null && roundDeadline.isBefore(next)) {
        next = roundDeadline;
      }
      arm(Duration.between(now, next));
    }

    private synchronized void granted() {
      if (finished) {
        uploads.release();
        return;
      }
      permit = Permit.HELD;
      lastActivity = limits.clock().instant();
      // one chunk ahead: the next arrives while this one is checked, hashed and spooled (BENCHMARKS §7);
      // an upload still waiting for a permit holds no more than the flow-control window
      response.request(2);
    }

    /** Reads on: the next payload message if holding a permit, else waits for one. */
    private synchronized void readOn() {
      if (finished) {
        return;
      }
      if (receiver == null) {
        // a repeat of an accepted upload is read and dropped, never staged, so it needs no permit
        response.request(1);
      } else if (permit == Permit.HELD) {
        response.request(1);
      } else if (permit == Permit.NONE) {
        permit = Permit.WAITING;
        uploads.acquire(granted);
      }
    }

    private synchronized void releasePermit() {
      if (permit == Permit.HELD) {
        uploads.release();
      } else if (permit == Permit.WAITING) {
        // if the grant is already on its way, granted() finds the upload finished and releases it
        uploads.withdraw(granted);
      }
      permit = Permit.NONE;
    }

    @Override
    public synchronized void onNext(UpdateChunk chunk) {
      if (finished) {
        return;
      }
      lastActivity = limits.clock().instant();
      try {
        if (!stillValid.getAsBoolean()) {
          throw new UpdateRejectedException(Reason.REMOVED, "the node's certificate was revoked during the upload");
        }
        switch (chunk.getPartCase()) {
          case HEADER -> onHeader(chunk);
          case DATA -> onData(chunk.getData());
          case TRAILER -> onTrailer(chunk.getTrailer().getSha256());
          default -> throw new UpdateRejectedException(Reason.MALFORMED, "an empty update chunk");
        }
        readOn();
      } catch (UpdateRejectedException e) {
        refuse(e);
      } catch (RuntimeException e) {
        LOG.error("upload failed unexpectedly", e);
        abort();
        finish();
        response.onError(Refusal.INTERNAL.exception("upload failed: " + e));
      }
    }

    private void onHeader(UpdateChunk chunk) throws UpdateRejectedException {
      if (header != null) {
        throw new UpdateRejectedException(Reason.MALFORMED, "a second header");
      }
      header = ProtoMapping.header(chunk.getHeader());
      UploadStart start = coordinator.beginUpload(header, this::cutOff);
      if (start instanceof UploadStart.Fresh fresh) {
        receiver = fresh.receiver();
        roundDeadline = fresh.roundDeadline();
        holdsSlot = true;
        // the watchdog may now have to look sooner: at the round's deadline
        watchdog.cancel(false);
        watch();
      } else if (start instanceof UploadStart.Repeat repeat) {
        repeatReceipt = ProtoMapping.receipt(repeat.receipt());
        repeatedBytes = repeat.receipt().payloadBytes();
      }
    }

    private void onData(ByteString data) throws UpdateRejectedException {
      if (header == null) {
        throw new UpdateRejectedException(Reason.MALFORMED, "payload before the header");
      }
      if (data.size() > Chunks.MAX_BYTES) {
        throw new UpdateRejectedException(Reason.MALFORMED, "a chunk of " + data.size() + " bytes exceeds " + Chunks.MAX_BYTES);
      }
      transfers.received(data.size());
      if (receiver != null) {
        receiver.accept(data.asReadOnlyByteBuffer());
      } else {
        // a repeat of an accepted upload is read and dropped, but no longer than the original was
        repeatBytes += data.size();
        if (repeatBytes > repeatedBytes) {
          throw new UpdateRejectedException(
              Reason.OVERSIZED, "a repeat of an accepted upload sent " + repeatBytes + " bytes, more than the " + repeatedBytes + " bytes of the original");
        }
      }
    }

    private void onTrailer(String sha256) throws UpdateRejectedException {
      if (header == null) {
        throw new UpdateRejectedException(Reason.MALFORMED, "a trailer before the header");
      }
      UpdateReceipt receipt;
      if (receiver != null) {
        StagedUpdate staged = receiver.finish(sha256);
        receiver = null;
        holdsSlot = false;
        receipt = ProtoMapping.receipt(coordinator.completeUpload(staged));
      } else {
        receipt = repeatReceipt;
      }
      finish();
      response.onNext(receipt);
      response.onCompleted();
    }

    /** The engine ends this upload: its node left the federation while it streamed. */
    private synchronized void cutOff(String reason) {
      if (!finished) {
        refuse(new UpdateRejectedException(Reason.REMOVED, reason));
      }
    }

    private synchronized void refuse(UpdateRejectedException e) {
      coordinator.refused(e);
      LOG.info(
          "round={} update=refused node={} reason={} detail=\"{}\"",
          header == null ? "?" : header.round(),
          header == null ? "?" : WireText.field(header.nodeId()),
          e.reason().label(),
          WireText.line(e.getMessage(), WireText.LINE));
      abort();
      finish();
      response.onError(RejectionStatus.of(e));
    }

    @Override
    public synchronized void onError(Throwable t) {
      // the node cancelled or the connection broke: the partial upload never counts
      abort();
      finish();
    }

    @Override
    public synchronized void onCompleted() {
      if (!finished) {
        refuse(new UpdateRejectedException(Reason.MALFORMED, "the upload ended without a trailer"));
      }
    }

    private void abort() {
      if (receiver != null) {
        receiver.close();
        receiver = null;
      }
      if (holdsSlot) {
        holdsSlot = false;
        coordinator.abortUpload(header);
      }
    }

    private synchronized void finish() {
      finished = true;
      if (watchdog != null) {
        watchdog.cancel(false);
      }
      releasePermit();
    }
  }

  @Override
  public void getStatus(GetStatusRequest request, StreamObserver<StatusResponse> response) {
    response.onNext(ProtoMapping.status(coordinator.status()));
    response.onCompleted();
  }
}
