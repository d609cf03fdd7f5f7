package io.fedbase.node.runtime;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.data.ImageDataset;
import io.fedbase.encoding.DeltaEncoder;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.engine.StoppedException;
import io.fedbase.learn.BatchResult;
import io.fedbase.node.secure.SecureParticipant;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.node.transport.JoinedModel;
import io.fedbase.node.transport.UpdateUpload;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.security.SigningIdentity;
import io.fedbase.space.SupernetSpec;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.Refusal;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's life: join, follow the round stream, and for each assignment fetch the prior (once per
 * version), adapt it on tasks from the node's own data, and upload the mean delta. When the
 * coordinator goes away it reconnects with exponential backoff and rejoins; it returns when the
 * coordinator ends the federation or {@link #stop()} is called. Raw data never leaves this object.
 */
public final class NodeRuntime {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
  /** How long {@link #run()} waits for an adaptation in flight once stopped. */
  private static final Duration WORK_DRAIN = Duration.ofMinutes(1);

  private final CoordinatorClient client;
  private final String target;
  private final String nodeId;
  private final ImageDataset data;
  private final Path cacheDir;
  private final Adapter adapter;
  private final IntervalFunction backoff;
  private final CircuitBreaker breaker;
  private final Clock clock;
  private final NodeListener listener;
  private final DeltaEncoding preferredEncoding;
  private final SigningIdentity signingIdentity;
  /** Secure rounds this node takes part in, by round number (the current one, and any still uploading). */
  private final Map<Long, SecureParticipant> secureRounds = new ConcurrentHashMap<>();
  private final ExecutorService secureWork;
  private volatile boolean stopped;
  /** Adaptations in flight (one element, the monitor of {@link #awaitNoWork}). */
  private final int[] working = {0};
  private volatile DeltaEncoding uploadEncoding = DeltaEncoding.FLOAT32;

  private SupernetSpec spec;
  private PriorCache priors;

  private NodeRuntime(Builder b) {
    this.client = b.client;
    this.target = b.target;
    this.nodeId = b.nodeId;
    this.data = b.data;
    this.cacheDir = b.cacheDir;
    this.adapter = b.adapter != null ? b.adapter : new InProcessAdapter(b.data, b.manager, b.gate, b.tasksAtOnce);
    this.backoff = b.backoff;
    this.breaker = b.breaker;
    this.clock = b.clock;
    this.listener = b.listener;
    this.preferredEncoding = b.encoding;
    this.signingIdentity = b.signingIdentity;
    this.secureWork =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "fedbase-node-" + b.nodeId + "-secure-round");
              t.setDaemon(true);
              return t;
            });
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs until the federation ends (returns normally) or {@link #stop()}.
   *
   * @throws IllegalStateException when the coordinator refuses this node for good (bad id, a model
   *     that cannot read this node's data)
   */
  public void run() throws InterruptedException {
    try {
      follow();
    } finally {
      // a secure round still adapting when the federation ends has nobody left to upload to
      secureWork.shutdownNow();
      awaitNoWork();
    }
  }

  /**
   * Waits for an adaptation still running on a stream or secure-round thread: the caller closes the
   * engine's manager next, and closing it under a running step crashes the process.
   */
  private void awaitNoWork() throws InterruptedException {
    long end = System.nanoTime() + WORK_DRAIN.toNanos();
    synchronized (working) {
      while (working[0] > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          LOG.warn("node {}: an adaptation still runs {} s after the node stopped", nodeId, WORK_DRAIN.toSeconds());
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(working, left);
      }
    }
  }

  private void follow() throws InterruptedException {
    int attempt = 0;
    boolean toldOpen = false;
    while (!stopped) {
      if (!breaker.tryAcquirePermission()) {
        // the coordinator failed every recent attempt: wait out the open breaker instead of knocking
        if (!toldOpen) {
          LOG.info("node {}: coordinator {} unreachable for {} attempts; pausing reconnects", nodeId, target, breaker.getMetrics().getNumberOfFailedCalls());
          toldOpen = true;
        }
        Thread.sleep(250);
        continue;
      }
      toldOpen = false;
      long attemptStart = System.nanoTime();
      boolean recorded = false;
      try {
        JoinedModel joined;
        try {
          joined = client.join(nodeId, spec == null ? null : spec.hash());
        } catch (StatusRuntimeException e) {
          recorded = true;
          if (Refusal.retriable(e)) {
            breaker.onError(System.nanoTime() - attemptStart, TimeUnit.NANOSECONDS, e);
          } else {
            breaker.releasePermission();
          }
          throw e;
        }
        recorded = true;
        breaker.onSuccess(System.nanoTime() - attemptStart, TimeUnit.NANOSECONDS);
        adopt(joined.spec());
        chooseEncoding(joined);
        listener.joined(target, joined.priorVersion());
        attempt = 0;
        client.watch(nodeId, stream);
        if (!stopped) {
          LOG.info("node {}: the coordinator ended the federation", nodeId);
        }
        return;
      } catch (StatusRuntimeException e) {
        if (!recorded) {
          breaker.releasePermission();
        }
        if (stopped) {
          return;
        }
        if (!Refusal.retriable(e) && !isRestartedCoordinator(e)) {
          throw new IllegalStateException("the coordinator refused node " + nodeId + ": " + describe(e), e);
        }
        attempt++;
        long wait = backoff.apply(attempt);
        listener.disconnected(describe(e), wait);
        LOG.info("node {}: {}; reconnecting in {} ms", nodeId, describe(e), wait);
        Thread.sleep(wait);
      } catch (RuntimeException e) {
        // a channel shut down under a call while stopping (Netty refuses new work): not a failure
        if (stopped) {
          return;
        }
        throw e;
      }
    }
  }

  /** Ends {@link #run()} at the next opportunity (the caller also shuts the channel down). */
  public void stop() {
    stopped = true;
    secureWork.shutdownNow();
  }

  private void adopt(SupernetSpec joinedSpec) {
    if (spec != null && spec.hash().equals(joinedSpec.hash())) {
      return;
    }
    if (joinedSpec.stemFor(data.signature()).isEmpty()) {
      throw new IllegalStateException(
          "the coordinator's model has no stem for this node's " + data.signature() + " images; it has stems for "
              + joinedSpec.stems().stream().map(s -> s.signature() + " images").collect(Collectors.joining(", ")));
    }
    if (data.classes().size() < joinedSpec.ways()) {
      throw new IllegalStateException(
          "the coordinator's model learns " + joinedSpec.ways() + "-way tasks, but this node's data has only "
              + data.classes().size() + " classes " + data.classes());
    }
    spec = joinedSpec;
    priors =
        new PriorCache(
            cacheDir,
            BundleLayout.of(joinedSpec),
            (version, file) -> {
              long got = client.fetchPrior(version, file);
              if (got != version) {
                throw new IOException("asked for prior version " + version + ", got " + got);
              }
            });
  }

  private void chooseEncoding(JoinedModel joined) {
    uploadEncoding = joined.uploadEncoding(preferredEncoding);
    if (uploadEncoding != preferredEncoding) {
      LOG.warn(
          "node {}: the coordinator does not accept {} uploads (it accepts {}); sending {}",
          nodeId,
          preferredEncoding,
          joined.acceptedEncodings().stream().sorted().toList(),
          uploadEncoding);
    }
  }

  /** What the round stream delivers, handled on the stream's thread. */
  private final CoordinatorClient.RoundStreamListener stream =
      new CoordinatorClient.RoundStreamListener() {
        @Override
        public void assigned(Assignment task) {
          if (task.secure().isEmpty()) {
            work(task);
            return;
          }
          // the stream must keep flowing while a secure round's node adapts: its key exchange runs on it
          if (joinSecureRound(task)) {
            secureWork.execute(() -> workSafely(task));
          }
        }

        @Override
        public void secureStep(SecureStep step) {
          SecureParticipant participant = secureRounds.get(step.round());
          if (participant == null) {
            LOG.warn("node {}: a secure-aggregation step for round {}, which this node does not take part in", nodeId, step.round());
            return;
          }
          try {
            participant.onStep(step).ifPresent(answer -> sendSecure(participant, answer));
          } catch (SecAggException e) {
            // this node drops out of the round; the others go on without it if enough remain
            LOG.warn("node {}: round {} secure aggregation refused a step: {}", nodeId, step.round(), e.getMessage());
          }
        }
      };

  /** Takes part in a secure round's key exchange (again, after a reconnect); false when it cannot. */
  private boolean joinSecureRound(Assignment task) {
    if (signingIdentity == null) {
      listener.roundSkipped(task, "the round is securely aggregated and this node has no certificate to sign its keys with");
      return false;
    }
    SecureParticipant participant =
        secureRounds.computeIfAbsent(
            task.round(),
            round -> SecureParticipant.join(round, task.participants(), task.secure().get(), BundleLayout.of(spec).totalSize(), signingIdentity));
    secureRounds.keySet().removeIf(round -> round < task.round());
    sendSecure(participant, participant.advertisement());
    return true;
  }

  private void sendSecure(SecureParticipant participant, SecureMessage message) {
    try {
      client.sendSecure(nodeId, participant.round(), message);
    } catch (StatusRuntimeException e) {
      // a repeated advertisement after a reconnect is refused as a duplicate: the first one counts
      LOG.info("node {}: round {} secure-aggregation message not taken: {}", nodeId, participant.round(), describe(e));
    }
  }

  /** {@link #work} off the stream's thread, where an exception has nobody to go to but the log. */
  private void workSafely(Assignment task) {
    try {
      work(task);
    } catch (RuntimeException e) {
      listener.roundSkipped(task, e.getMessage());
      LOG.warn("node {}: round {} failed: {}", nodeId, task.round(), e.getMessage());
    }
  }

  private void work(Assignment task) {
    synchronized (working) {
      if (stopped) {
        return;
      }
      working[0]++;
    }
    try {
      adaptAndUpload(task);
    } catch (StoppedException e) {
      // the process is stopping: the step ended cleanly and nothing was sent for this round
      stop();
    } finally {
      synchronized (working) {
        working[0]--;
        working.notifyAll();
      }
    }
  }

  private void adaptAndUpload(Assignment task) {
    if (!clock.instant().isBefore(task.deadline())) {
      listener.roundSkipped(task, "the deadline passed before the assignment arrived");
      return;
    }
    long start = System.nanoTime();
    BatchResult result;
    try {
      Bundle prior = priors.get(task.priorVersion());
      LOG.info("node {}: round {}: adapting prior version {} to {} tasks", nodeId, task.round(), task.priorVersion(), task.tasks());
      result = adapter.adapt(spec, task, prior, priors.file(task.priorVersion()));
    } catch (AdapterFailure e) {
      // the worker crashed, timed out or backs off: this round goes on without this node
      listener.roundSkipped(task, e.getMessage());
      LOG.warn("node {}: round {} skipped: {}", nodeId, task.round(), e.getMessage());
      return;
    } catch (IOException | UncheckedIOException e) {
      throw Status.UNAVAILABLE.withDescription("cannot fetch prior version " + task.priorVersion() + ": " + e.getMessage()).asRuntimeException();
    } catch (IllegalArgumentException | IllegalStateException e) {
      // this node's data cannot serve the assignment (too few classes or images), or it diverged
      listener.roundSkipped(task, e.getMessage());
      LOG.warn("node {}: round {} skipped: {}", nodeId, task.round(), e.getMessage());
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
      return;
    }
    double adaptSeconds = (System.nanoTime() - start) / 1e9;
    Duration left = Duration.between(clock.instant(), task.deadline());
    if (left.isNegative() || left.isZero()) {
      listener.roundSkipped(task, "adaptation finished after the round's deadline");
      return;
    }
    DeltaEncoding encoding = task.secure().isPresent() ? DeltaEncoding.SECURE_RING32 : uploadEncoding;
    // clipped (and in distributed mode noised) before anything leaves the node
    Bundle delta = task.privacy().map(terms -> terms.apply(result.meanDelta(), GaussianMechanism.noiseSource())).orElse(result.meanDelta());
    UpdateUpload upload =
        new UpdateUpload(
            task.round(),
            nodeId,
            task.priorVersion(),
            result.tasks(),
            delta,
            result.supportLossBefore(),
            result.supportLossAfter(),
            result.queryAccuracy(),
            encoding,
            // fixed per (round, node): a retried upload sends the same bytes
            task.seed() * 31 + nodeId.hashCode());
    try {
      ByteBuffer payload = payload(task, upload, left);
      if (payload == null) {
        return;
      }
      submitWithRetry(upload, payload, left);
      listener.roundDone(task, result, adaptSeconds, payload.remaining());
    } catch (StatusRuntimeException e) {
      if (Refusal.retriable(e)) {
        throw e;
      }
      // refused (late, stale, ...): the round goes on without this node
      listener.roundSkipped(task, "upload refused: " + describe(e));
      LOG.warn("node {}: round {} upload refused: {}", nodeId, task.round(), describe(e));
    } catch (TimeoutException e) {
      listener.roundSkipped(task, "upload timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
    }
  }

  /**
   * The upload's bytes: the encoded delta, or in a secure round the clipped, masked delta once the
   * key exchange has delivered this node's shares (null, with the round skipped, if it cannot).
   */
  private ByteBuffer payload(Assignment task, UpdateUpload upload, Duration left) throws InterruptedException {
    if (task.secure().isEmpty()) {
      return DeltaEncoder.encode(upload.delta(), upload.encoding(), upload.roundingSeed());
    }
    SecureParticipant participant = secureRounds.get(task.round());
    try {
      participant.awaitShares(left);
      return participant.masked(upload.delta());
    } catch (TimeoutException e) {
      listener.roundSkipped(task, "the key exchange did not deliver this node's shares before the deadline");
    } catch (SecAggException e) {
      listener.roundSkipped(task, "cannot mask the delta: " + e.getMessage());
    }
    return null;
  }

  /** Retries an upload while the coordinator is briefly unreachable; uploads are idempotent per round. */
  private void submitWithRetry(UpdateUpload upload, ByteBuffer payload, Duration left) throws InterruptedException, TimeoutException {
    int attempt = 0;
    while (true) {
      try {
        client.submit(upload, payload, left);
        return;
      } catch (StatusRuntimeException e) {
        attempt++;
        // only while the coordinator is unreachable or restarting; other retriable refusals end the round's attempt
        if (!Refusal.retriable(e) || e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt >= 3) {
          throw e;
        }
        listener.uploadRetried();
        Thread.sleep(backoff.apply(attempt));
      }
    }
  }

  /** A coordinator that restarted has forgotten the join: rejoin instead of giving up. */
  private static boolean isRestartedCoordinator(StatusRuntimeException e) {
    return Refusal.of(e).filter(r -> r == Refusal.NOT_JOINED).isPresent();
  }

  private static String describe(StatusRuntimeException e) {
    Status s = e.getStatus();
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  /** DJL-style builder: {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private CoordinatorClient client;
    private String target = "coordinator";
    private String nodeId;
    private ImageDataset data;
    private Path cacheDir;
    private NDManager manager;
    private TrainingGate gate = new TrainingGate();
    private IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(500), 2.0, 0.5, Duration.ofSeconds(30));
    private Clock clock = Clock.systemUTC();
    private NodeListener listener = NodeListener.none();
    private CircuitBreaker breaker = defaultBreaker();
    private DeltaEncoding encoding = DeltaEncoding.FLOAT32;
    private SigningIdentity signingIdentity;
    private Adapter adapter;
    private int tasksAtOnce = 1;

    /**
     * Opens after 5 consecutive failed connection attempts and lets one probe through a minute
     * later, so a fleet of nodes stops hammering a coordinator that is down for long.
     */
    static CircuitBreaker defaultBreaker() {
      return CircuitBreaker.of(
          "coordinator",
          CircuitBreakerConfig.custom()
              .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
              .slidingWindowSize(5)
              .minimumNumberOfCalls(5)
              .failureRateThreshold(100)
              .waitDurationInOpenState(Duration.ofMinutes(1))
              .permittedNumberOfCallsInHalfOpenState(1)
              .build());
    }

    public Builder setClient(CoordinatorClient client, String target) {
      this.client = client;
      this.target = target;
      return this;
    }

    public Builder setNodeId(String nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    public Builder setData(ImageDataset data) {
      this.data = data;
      return this;
    }

    public Builder setCacheDir(Path cacheDir) {
      this.cacheDir = cacheDir;
      return this;
    }

    /** Parent manager (and so device) of every in-process adaptation; owned by the caller. */
    public Builder setManager(NDManager manager) {
      this.manager = manager;
      return this;
    }

    /**
     * Where adaptations run (default: in this process, with the manager and training gate). The
     * caller owns it and closes it after {@link NodeRuntime#run()}.
     */
    public Builder optAdapter(Adapter adapter) {
      this.adapter = adapter;
      return this;
    }

    /**
     * How many of a round's tasks the in-process adapter adapts in one stacked pass (default 1: one
     * after another); the result agrees either way up to float rounding.
     */
    public Builder optTasksAtOnce(int tasks) {
      this.tasksAtOnce = tasks;
      return this;
    }

    public Builder optTrainingGate(TrainingGate gate) {
      this.gate = gate;
      return this;
    }

    public Builder optBackoff(IntervalFunction backoff) {
      this.backoff = backoff;
      return this;
    }

    /** The circuit breaker around connection attempts (default: {@link #defaultBreaker()}). */
    public Builder optCircuitBreaker(CircuitBreaker breaker) {
      this.breaker = breaker;
      return this;
    }

    public Builder optClock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The upload encoding this node prefers; it falls back to float32 (with a warning) when the
     * coordinator does not accept it. Default float32.
     */
    public Builder optEncoding(DeltaEncoding encoding) {
      this.encoding = Objects.requireNonNull(encoding);
      return this;
    }

    /**
     * The certificate and key this node signs its secure-aggregation keys with, and the CA it
     * checks the others' against; without it the node skips securely aggregated rounds.
     */
    public Builder optSigningIdentity(SigningIdentity identity) {
      this.signingIdentity = identity;
      return this;
    }

    public Builder optListener(NodeListener listener) {
      this.listener = listener;
      return this;
    }

    public NodeRuntime build() {
      if (client == null || nodeId == null || data == null || cacheDir == null || (manager == null && adapter == null)) {
        throw new IllegalStateException("client, node id, data, cache dir and a manager or an adapter are required");
      }
      if (tasksAtOnce < 1) {
        throw new IllegalArgumentException("tasks at once must be at least 1, got " + tasksAtOnce);
      }
      return new NodeRuntime(this);
    }
  }
}
