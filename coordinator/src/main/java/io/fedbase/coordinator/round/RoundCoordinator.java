package io.fedbase.coordinator.round;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DoubleFold;
import io.fedbase.coordinator.aggregate.AggregationProtocol;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateReceiver;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.store.Checkpoint;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.coordinator.store.OperatorControls;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.space.SupernetSpec;
import io.fedbase.wire.Assignment;
import io.fedbase.wire.WireText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The round state machine (docs/ARCHITECTURE.md, "A round"): WAITING until enough nodes watch, COLLECTING uploads until
 * every participant has sent one or the deadline passes, COMMITTING the meta-update if the quorum
 * was reached. All state sits behind this object's lock; timers run on the injected scheduler and
 * time comes from the injected clock, so tests drive rounds deterministically.
 */
public final class RoundCoordinator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RoundCoordinator.class);
  private static final int RECENT_ROUNDS = 20;

  private final SupernetSpec spec;
  private final BundleLayout layout;
  private final FederationSettings settings;
  private final RoundStrategy strategy;
  private final MetaOptimizer optimizer;
  private final CheckpointStore store;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Path stagingDir;
  private final Duration keepAliveInterval;
  private final RoundEvents events;
  private final RoundCommitter committer;

  private final Membership members = new Membership();
  private OperatorControls controls = OperatorControls.none();
  private final Deque<RoundOutcome> recent = new ArrayDeque<>();
  private final CompletableFuture<Void> finished = new CompletableFuture<>();

  private Bundle prior;
  private long version;
  private long lastRound;
  private RoundPhase phase = RoundPhase.WAITING;
  private boolean federationDone;
  private OpenRound current;
  private ScheduledFuture<?> keepAlive;
  private volatile boolean started;
  /** An operator's rollback, waiting for the round in progress to end or being written. */
  private PendingRollback rollback;
  /** Whether the pending rollback is being written (it then completes whatever else happens). */
  private boolean rollbackWriting;

  /** A rollback asked for and the caller waiting for it. */
  private record PendingRollback(long toVersion, String reason, CompletableFuture<RolledBack> done) {}

  /**
   * What a rollback made: the new current version, whose parameters are those of {@code restored},
   * and its file's SHA-256.
   */
  public record RolledBack(long version, long restored, String sha256) {}

  /**
   * Builds a coordinator that runs its rounds with {@code strategy}; call {@link #start(Bundle)}
   * before anything else.
   */
  public RoundCoordinator(
      SupernetSpec spec,
      FederationSettings settings,
      RoundStrategy strategy,
      MetaOptimizer optimizer,
      CheckpointStore store,
      Clock clock,
      ScheduledExecutorService scheduler,
      Duration keepAliveInterval,
      RoundEvents events) {
    this.spec = spec;
    this.layout = BundleLayout.of(spec);
    this.settings = settings;
    this.strategy = strategy;
    this.optimizer = optimizer;
    this.store = store;
    this.clock = clock;
    this.scheduler = scheduler;
    this.stagingDir = store.directory().resolve("staging");
    this.keepAliveInterval = keepAliveInterval;
    this.events = events;
    this.committer = new RoundCommitter(spec, settings, strategy, optimizer, store, events);
  }

  /**
   * Resumes from the newest valid checkpoint, or writes {@code initialPrior} as version 0 when the
   * state directory is new. Returns the checkpoint it runs from.
   */
  public synchronized Checkpoint start(Bundle initialPrior) throws IOException {
    clearStaging();
    Optional<Checkpoint> resumed = store.loadNewest();
    Checkpoint from;
    if (resumed.isPresent()) {
      from = resumed.get();
      LOG.info("resuming at prior version {} after round {}", from.version(), from.lastRound());
    } else {
      layout.requireSame(initialPrior.layout());
      from = new Checkpoint(0, 0, initialPrior);
      store.commit(from, spec, Map.of("created_by", "coordinator"));
      LOG.info("new federation: wrote prior version 0 to {}", store.directory());
    }
    LOG.info(
        "rounds aggregate with {} (sums fold with the {} loop{})",
        strategy,
        DoubleFold.fastest().name(),
        DoubleFold.vector().isPresent() ? "" : "; start java with --add-modules jdk.incubator.vector for the vectorized one");
    prior = from.prior();
    version = from.version();
    lastRound = from.lastRound();
    controls = store.readControls();
    strategy.restore(version, store);
    if (controls.paused() || !controls.removedNodes().isEmpty()) {
      LOG.info("operator controls: paused={} removed={}", controls.paused(), controls.removedNodes());
    }
    if (settings.targetRounds() > 0 && version >= settings.targetRounds()) {
      stop("the prior already has " + version + " committed rounds (--rounds " + settings.targetRounds() + ")", true);
    }
    if (phase != RoundPhase.STOPPED) {
      events.phase(lastRound + 1, phase, version);
    }
    keepAlive =
        scheduler.scheduleAtFixedRate(
            this::sendKeepAlives, keepAliveInterval.toMillis(), keepAliveInterval.toMillis(), TimeUnit.MILLISECONDS);
    started = true;
    return from;
  }

  /** Whether {@link #start(Bundle)} has restored (or created) the prior. */
  public boolean isStarted() {
    return started;
  }

  /** The exact payload size of an update: the model's delta as float32. */
  public long maxUpdateBytes() {
    return (long) layout.totalSize() * Float.BYTES;
  }

  /** The current phase (cheaper than {@link #status()} for health probes). */
  public synchronized RoundPhase phase() {
    return phase;
  }

  public SupernetSpec spec() {
    return spec;
  }

  public FederationSettings settings() {
    return settings;
  }

  /** Completes when the target number of rounds is committed or the coordinator is closed. */
  public CompletableFuture<Void> finished() {
    return finished;
  }

  /**
   * Registers a node that expects the model of {@code expectedSpecHash} (empty: any); idempotent.
   * Returns the newest prior version.
   *
   * @throws SpecMismatchException if the node expects another model than this federation trains
   */
  public long join(String nodeId, String expectedSpecHash) {
    if (!expectedSpecHash.isEmpty() && !expectedSpecHash.equals(spec.hash())) {
      throw new SpecMismatchException(
          "the coordinator trains model " + BundleLayout.shortHash(spec.hash()) + ", not " + WireText.field(BundleLayout.shortHash(expectedSpecHash)));
    }
    return join(nodeId);
  }

  /** Registers a node; idempotent. Returns the newest prior version. */
  public synchronized long join(String nodeId) {
    Membership.requireValidNodeId(nodeId);
    requireNotRemoved(nodeId);
    if (members.join(nodeId)) {
      LOG.info("node {} joined", nodeId);
      events.nodes(members.joinedCount(), members.connectedCount());
    }
    return version;
  }

  /**
   * Opens {@code nodeId}'s round stream, replacing an older one. A node that reconnects during a
   * round it was selected for gets its assignment again.
   */
  public synchronized void watch(String nodeId, RoundWatcher watcher) {
    requireNotRemoved(nodeId);
    members.connect(nodeId, watcher);
    events.nodes(members.joinedCount(), members.connectedCount());
    if (phase == RoundPhase.STOPPED) {
      if (federationDone) {
        watcher.finished();
      } else {
        watcher.shuttingDown();
      }
      members.disconnect(nodeId, watcher);
      return;
    }
    if (phase == RoundPhase.COLLECTING && current.assignments.containsKey(nodeId) && !current.accepted.containsKey(nodeId)) {
      watcher.assigned(current.assignments.get(nodeId));
    } else {
      watcher.keepAlive(currentRoundNumber(), phase, version);
    }
    if (current != null) {
      // a protocol step relayed while the node was away would otherwise be lost to it
      current.protocol.lastRelayedTo(nodeId).ifPresent(watcher::secureStep);
    }
    maybeOpenRound();
  }

  /** Closes {@code nodeId}'s stream if {@code watcher} is still its current one. */
  public synchronized void unwatch(String nodeId, RoundWatcher watcher) {
    if (members.disconnect(nodeId, watcher)) {
      LOG.info("node {} disconnected", nodeId);
      events.nodes(members.joinedCount(), members.connectedCount());
      OpenRound round = current;
      if (round != null && phase == RoundPhase.COLLECTING && round.assignments.containsKey(nodeId) && !round.accepted.containsKey(nodeId)) {
        long lease = leaseDuration().toMillis();
        scheduler.schedule(() -> leaseExpired(round.number, nodeId), lease, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * How long a selected node may stay disconnected before the round stops waiting for it: four
   * keep-alive intervals (a minute in production), so a quick reconnect keeps its place.
   */
  private Duration leaseDuration() {
    return keepAliveInterval.multipliedBy(4);
  }

  /** A selected node's lease ran out: unless it came back or is uploading, the round no longer waits for it. */
  private synchronized void leaseExpired(long roundNumber, String nodeId) {
    OpenRound round = current;
    if (round == null || round.number != roundNumber || phase != RoundPhase.COLLECTING) {
      return;
    }
    if (members.isConnected(nodeId) || round.accepted.containsKey(nodeId) || round.inProgress.containsKey(nodeId) || round.merging.contains(nodeId)) {
      return;
    }
    round.lapsed.add(nodeId);
    LOG.info("round={} node={} lease expired after {} s disconnected; the round no longer waits for it", round.number, nodeId, leaseDuration().toSeconds());
    closeIfAllUploaded(round);
  }

  /**
   * Checks an upload's header against the collecting round; see {@link UploadStart}. The staging
   * file of a new upload is created after the checks, outside the engine's lock.
   */
  public UploadStart beginUpload(UpdateHeaderFields header) throws UpdateRejectedException {
    return beginUpload(header, reason -> {});
  }

  /**
   * As {@link #beginUpload(UpdateHeaderFields)}; {@code cutOff} ends the upload with a reason when
   * its node leaves the federation while it streams (removed by an operator, certificate revoked).
   * It is called off the engine's lock, so it may call back into the engine.
   */
  public UploadStart beginUpload(UpdateHeaderFields header, Consumer<String> cutOff) throws UpdateRejectedException {
    Optional<Receipt> repeat = admit(header, cutOff);
    if (repeat.isPresent()) {
      return new UploadStart.Repeat(repeat.get());
    }
    Instant deadline = roundDeadline(header.round());
    try {
      return new UploadStart.Fresh(new UpdateReceiver(header, layout, stagingDir), deadline);
    } catch (UpdateRejectedException e) {
      abortUpload(header);
      throw e;
    }
  }

  /** The deadline of the round {@code number} if it is the open one, else now (it has closed). */
  private synchronized Instant roundDeadline(long number) {
    return current != null && current.number == number ? current.deadline : clock.instant();
  }

  /**
   * The checks of {@link #beginUpload}: the receipt to repeat for an upload already accepted, or
   * empty when a new upload may start (its node is then marked in progress).
   */
  private synchronized Optional<Receipt> admit(UpdateHeaderFields header, Consumer<String> cutOff) throws UpdateRejectedException {
    String node = header.nodeId();
    Optional<Receipt> repeat =
        UploadAdmission.check(
            header,
            new UploadAdmission.Facts(
                controls.removed(node), members.hasJoined(node), currentRoundNumber(), phase, current, clock.instant(), layout.specHash(), describeCurrent()));
    if (repeat.isPresent()) {
      events.duplicate();
    } else {
      current.inProgress.put(node, cutOff);
    }
    return repeat;
  }

  /**
   * Folds a completely received upload into the round, or refuses it if the round moved on. The
   * merge reads the staged file without the engine's lock, so joins, keep-alives and status calls
   * never wait for the disk; the round's collection does not end while a merge is running.
   */
  public Receipt completeUpload(StagedUpdate staged) throws UpdateRejectedException {
    UpdateHeaderFields header = staged.header();
    try {
      Merge merge = startMerge(staged);
      long mergeStart = System.nanoTime();
      IOException failure = null;
      try {
        synchronized (merge.round().mergeLock) {
          merge.round().aggregate.merge(staged, merge.scales().weight(), merge.scales().logit());
        }
      } catch (IOException e) {
        failure = e;
      }
      return finishMerge(merge, staged, failure, (System.nanoTime() - mergeStart) / 1e9);
    } finally {
      // a refused upload's file; a merged one's is already gone (deleted, or renamed by a rule that keeps it)
      deleteQuietly(staged.file());
    }
  }

  /** An upload admitted to its round's aggregate, with the scales it enters with. */
  private record Merge(OpenRound round, RoundStrategy.UploadScales scales) {}

  /** The checks before a merge; the node moves from uploading to merging. */
  private synchronized Merge startMerge(StagedUpdate staged) throws UpdateRejectedException {
    UpdateHeaderFields header = staged.header();
    OpenRound round = current;
    if (round == null || round.number != header.round() || phase != RoundPhase.COLLECTING) {
      throw new UpdateRejectedException(Reason.LATE, "round " + header.round() + " closed during the upload");
    }
    round.inProgress.remove(header.nodeId());
    if (controls.removed(header.nodeId()) || !members.hasJoined(header.nodeId())) {
      throw new UpdateRejectedException(
          Reason.REMOVED, "node '" + WireText.field(header.nodeId()) + "' left the federation during the upload (removed by an operator, or its certificate revoked)");
    }
    if (!clock.instant().isBefore(round.deadline)) {
      throw new UpdateRejectedException(Reason.LATE, "the deadline of round " + round.number + " passed during the upload");
    }
    RoundStrategy.UploadScales scales = strategy.scales(staged);
    round.merging.add(header.nodeId());
    return new Merge(round, scales);
  }

  /** Records a merged upload (or its failure) and ends the round's collection if it was waiting for it. */
  private synchronized Receipt finishMerge(Merge merge, StagedUpdate staged, IOException failure, double mergeSeconds) throws UpdateRejectedException {
    UpdateHeaderFields header = staged.header();
    OpenRound round = merge.round();
    RoundStrategy.UploadScales scales = merge.scales();
    round.merging.remove(header.nodeId());
    try {
      if (current != round) {
        throw new UpdateRejectedException(Reason.UNAVAILABLE, "the coordinator shut down during the upload");
      }
      if (failure != null) {
        throw new UpdateRejectedException(Reason.UNAVAILABLE, "cannot read the staged upload back: " + failure.getMessage());
      }
      round.uploads.add(
          new CommitManifest.Upload(
              header.nodeId(), staged.sha256(), header.taskCount(), staged.weightNorm(), staged.logitNorm(), scales.weight(), scales.logit()));
      events.accepted(header.taskCount(), mergeSeconds);
      Receipt receipt = new Receipt(round.number, false, round.accepted.size() + 1, header.payloadBytes());
      round.accepted.put(header.nodeId(), receipt);
      round.lossAfter += header.supportLossAfter() * header.taskCount();
      round.accuracy += header.queryAccuracy() * header.taskCount();
      LOG.info(
          "round={} update=accepted node={} tasks={} delta_norm_weights={} delta_norm_logits={}",
          round.number,
          header.nodeId(),
          header.taskCount(),
          String.format("%.4f", staged.weightNorm()),
          String.format("%.4f", staged.logitNorm()));
      return receipt;
    } finally {
      if (current == round && phase == RoundPhase.COLLECTING) {
        closeIfAllUploaded(round);
      } else if (current == round && round.endCollectionWhenMerged && round.merging.isEmpty()) {
        round.endCollectionWhenMerged = false;
        endCollection(round);
      }
    }
  }

  /** Records a refused upload (the transport calls this for every refusal it answers). */
  public synchronized void refused(UpdateRejectedException e) {
    events.refused(e.reason());
  }

  /** Forgets an upload that ended without completing (cancelled, refused mid-stream). */
  public synchronized void abortUpload(UpdateHeaderFields header) {
    if (current != null && current.number == header.round()) {
      current.inProgress.remove(header.nodeId());
    }
  }

  /** The bundle file of a committed version; empty if unknown. 0 means the newest. */
  public synchronized Optional<PriorVersion> prior(long requested) {
    long v = requested == 0 ? version : requested;
    Path file = store.priorFile(v);
    if (v > version || !Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(new PriorVersion(v, file));
  }

  /** A committed prior version and its bundle file. */
  public record PriorVersion(long version, Path file) {}

  /** The prior currently being trained and its version. */
  public synchronized Checkpoint current() {
    return new Checkpoint(version, lastRound, prior);
  }

  public synchronized CoordinatorStatus status() {
    return new CoordinatorStatus(
        currentRoundNumber(),
        phase,
        version,
        layout.specHash(),
        List.copyOf(members.connected()),
        List.copyOf(recent),
        settings.targetRounds(),
        DartsNotation.format(GenotypeRule.BASE.derive(ArchitectureLogits.of(prior, spec.operations(), spec.nodes()))),
        controls,
        strategy.privacy());
  }

  /** The operator's current controls. */
  public synchronized OperatorControls controls() {
    return controls;
  }

  /** Stops opening new rounds (an open round still closes); persisted. */
  public synchronized OperatorControls pauseRounds(String reason) throws IOException {
    setControls(controls.pause(reason));
    LOG.info("operator: rounds paused ({})", reason.isEmpty() ? "no reason given" : reason);
    return controls;
  }

  /** Lets rounds open again; persisted. */
  public synchronized OperatorControls resumeRounds() throws IOException {
    setControls(controls.resume());
    LOG.info("operator: rounds resumed");
    maybeOpenRound();
    return controls;
  }

  /**
   * Removes a node: its stream ends, it leaves the open round (an upload it already completed stays
   * merged; one in flight is refused), and its calls are refused until {@link #readmitNode}.
   */
  public synchronized OperatorControls removeNode(String nodeId, String reason) throws IOException {
    Membership.requireValidNodeId(nodeId);
    setControls(controls.remove(nodeId));
    LOG.warn("operator: node {} removed ({})", nodeId, reason.isEmpty() ? "no reason given" : reason);
    members
        .remove(nodeId)
        .ifPresent(w -> w.removed("node '" + nodeId + "' was removed from the federation by an operator" + (reason.isEmpty() ? "" : ": " + reason)));
    events.nodes(members.joinedCount(), members.connectedCount());
    cutOffUpload(nodeId, "node '" + nodeId + "' was removed from the federation by an operator during the upload");
    if (current != null && phase == RoundPhase.COLLECTING) {
      closeIfAllUploaded(current);
    }
    return controls;
  }

  /** Lets a removed node join again; persisted. */
  public synchronized OperatorControls readmitNode(String nodeId) throws IOException {
    Membership.requireValidNodeId(nodeId);
    if (!controls.removed(nodeId)) {
      throw new IllegalArgumentException("node '" + WireText.field(nodeId) + "' is not removed");
    }
    setControls(controls.readmit(nodeId));
    LOG.info("operator: node {} readmitted", nodeId);
    return controls;
  }

  private void setControls(OperatorControls next) throws IOException {
    store.writeControls(next);
    controls = next;
  }

  private void requireNotRemoved(String nodeId) {
    if (controls.removed(nodeId)) {
      throw new NodeRemovedException(nodeId);
    }
  }

  /** Closes the round once every selected node that is still a member and holds its lease has uploaded. */
  private void closeIfAllUploaded(OpenRound round) {
    if (!round.protocol.acceptingUploads()) {
      return;
    }
    Collection<String> uploaders = round.protocol.expectedUploaders();
    boolean all = uploaders.stream().allMatch(n -> round.accepted.containsKey(n) || controls.removed(n) || round.lapsed.contains(n));
    if (all) {
      scheduler.execute(() -> closeRound(round.number));
    }
  }

  private long currentRoundNumber() {
    return current != null ? current.number : lastRound + 1;
  }

  private String describeCurrent() {
    return current != null && phase == RoundPhase.COLLECTING
        ? "round " + current.number + " is collecting"
        : "the coordinator is " + phase.name().toLowerCase() + " before round " + currentRoundNumber();
  }

  private void maybeOpenRound() {
    if (phase != RoundPhase.WAITING || controls.paused() || members.connectedCount() < settings.policy().minNodes()) {
      return;
    }
    Optional<String> exhausted = strategy.exhausted();
    if (exhausted.isPresent()) {
      stop(exhausted.get(), true);
      return;
    }
    List<String> participants = strategy.sample(members.connected());
    int needed = Math.max(settings.policy().quorum(), strategy.minimumParticipants());
    if (participants.size() < needed) {
      // too few drawn this time: nothing is released, so nothing is spent; draw again shortly
      LOG.info("round={} drew {} of {} connected nodes, fewer than {}; drawing again", lastRound + 1, participants.size(), members.connectedCount(), needed);
      scheduler.schedule(this::openRoundIfWaiting, keepAliveInterval.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    long number = lastRound + 1;
    Instant deadline = clock.instant().plus(settings.policy().deadline());
    RoundPlan plan = strategy.configure(new RoundSetup(settings, number, version, prior.norm(), deadline, participants));
    current = new OpenRound(number, version, deadline, plan.assignments(), plan.protocol(), plan.aggregator(), clock.instant());
    phase = RoundPhase.COLLECTING;
    LOG.info("round={} phase=collecting version={} participants={} deadline={}", number, version, participants.size(), deadline);
    events.phase(number, phase, version);
    for (Map.Entry<String, Assignment> e : plan.assignments().entrySet()) {
      members.stream(e.getKey()).orElseThrow().assigned(e.getValue());
    }
    long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
    current.deadlineTimer = scheduler.schedule(() -> closeRound(number), delay, TimeUnit.MILLISECONDS);
    current.protocol.start(new ProtocolCallback(current));
  }

  /** The engine's side of a round's protocol: every call acts only while that round is still the current one. */
  private final class ProtocolCallback implements AggregationProtocol.Callback {
    private final OpenRound round;

    ProtocolCallback(OpenRound round) {
      this.round = round;
    }

    @Override
    public void relay(Map<String, SecureStep> steps) {
      steps.forEach((node, step) -> members.stream(node).ifPresent(w -> w.secureStep(step)));
    }

    @Override
    public void schedule(Duration delay, Runnable action) {
      scheduler.schedule(
          () -> {
            synchronized (RoundCoordinator.this) {
              if (current == round) {
                action.run();
              }
            }
          },
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    }

    @Override
    public void uploadersChanged() {
      if (current == round && phase == RoundPhase.COLLECTING) {
        closeIfAllUploaded(round);
      }
    }

    @Override
    public void complete() {
      if (current == round) {
        concludeRound(round);
      }
    }

    @Override
    public void fail(String reason) {
      if (current == round) {
        failRound(round, reason);
      }
    }
  }

  private synchronized void openRoundIfWaiting() {
    maybeOpenRound();
  }

  /**
   * Takes a node's secure-aggregation message for the current round. A message that is malformed,
   * late or out of place is refused without harm; one that leaves too few nodes fails the round.
   *
   * @throws IllegalStateException when the round is not the current secure one (FAILED_PRECONDITION)
   * @throws SecAggException when the protocol refuses the message (INVALID_ARGUMENT)
   */
  public synchronized void secureMessage(String nodeId, long roundNumber, SecureMessage message) throws SecAggException {
    OpenRound round = current;
    if (round == null || round.number != roundNumber) {
      throw new IllegalStateException("round " + roundNumber + " is not an open secure round; " + describeCurrent());
    }
    if (!round.assignments.containsKey(nodeId)) {
      throw new IllegalStateException("node '" + WireText.field(nodeId) + "' is not a participant of round " + roundNumber);
    }
    round.protocol.message(nodeId, message);
  }


  /**
   * Ends round {@code number}'s collection: commit with quorum, else fail; then opens the next if
   * possible. A secure round first asks the nodes whose masked uploads are in the sum for the
   * shares that unmask it, and commits once they answered (or the step timed out).
   */
  synchronized void closeRound(long number) {
    OpenRound round = current;
    if (round == null || round.number != number || phase != RoundPhase.COLLECTING) {
      return;
    }
    if (round.deadlineTimer != null) {
      round.deadlineTimer.cancel(false);
    }
    phase = RoundPhase.COMMITTING;
    LOG.info("round={} phase=committing version={} updates={} selected={}", round.number, version, round.accepted.size(), round.assignments.size());
    events.phase(round.number, phase, version);
    if (!round.merging.isEmpty()) {
      // uploads admitted before the end are still being merged; the last of them ends the collection
      round.endCollectionWhenMerged = true;
      return;
    }
    endCollection(round);
  }

  /** Tells the round's protocol that no more uploads come, and whether they reached the quorum. */
  private void endCollection(OpenRound round) {
    round.protocol.collectionEnded(round.aggregate.updates() >= settings.policy().quorum());
  }

  /**
   * Commits (with quorum) or fails a round whose collection has ended, then moves on. The commit
   * (the meta-update and the checkpoint on disk) runs on the scheduler without the engine's lock;
   * nothing else changes the prior meanwhile, since no round collects.
   */
  private void concludeRound(OpenRound round) {
    int accepted = round.aggregate.updates();
    conclude(round, accepted < settings.policy().quorum() ? "quorum not reached: " + accepted + " of " + settings.policy().quorum() + " updates" : null);
  }

  /** A round that cannot finish: the prior is untouched and the next round may open. */
  private void failRound(OpenRound round, String reason) {
    conclude(round, reason);
  }

  /** Ends {@code round} off the lock: commits it, or records its failure for {@code failure} (null: commit). */
  private void conclude(OpenRound round, String failure) {
    if (round.concluding) {
      return;
    }
    round.concluding = true;
    if (round.deadlineTimer != null) {
      round.deadlineTimer.cancel(false);
    }
    phase = RoundPhase.COMMITTING;
    Bundle base = prior;
    long baseVersion = version;
    double seconds = Duration.between(round.opened, clock.instant()).toNanos() / 1e9;
    scheduler.execute(() -> finishConclusion(round, base, baseVersion, seconds, failure));
  }

  /** Runs without the engine's lock; then moves the engine on under it. */
  private void finishConclusion(OpenRound round, Bundle base, long baseVersion, double seconds, String failure) {
    RoundOutcome outcome = null;
    Bundle next = null;
    String reason = failure;
    if (reason == null) {
      try {
        RoundCommitter.Result result = committer.commit(round, base, baseVersion, seconds);
        if (result instanceof RoundCommitter.Result.Committed c) {
          outcome = c.outcome();
          next = c.prior();
        } else {
          reason = ((RoundCommitter.Result.Failed) result).reason();
        }
      } catch (RuntimeException e) {
        // a bug must not leave the coordinator stuck mid-commit: the round fails, the prior stays
        LOG.error("round {}: the commit failed unexpectedly, the prior is unchanged", round.number, e);
        reason = "internal error while committing: " + e;
      }
    }
    if (outcome == null) {
      outcome = failed(round, reason, baseVersion, seconds);
    }
    synchronized (this) {
      if (current != round) {
        // the coordinator closed meanwhile; what was committed is on disk and resumes on restart
        round.aggregate.close();
        round.protocol.close();
        return;
      }
      if (next != null) {
        prior = next;
        version = outcome.priorVersion();
      }
      endRound(round, outcome);
    }
  }

  private void endRound(OpenRound round, RoundOutcome outcome) {
    round.aggregate.close();
    round.protocol.close();
    remember(outcome);
    events.closed(outcome, round.assignments.size());
    current = null;
    lastRound = round.number;
    if (rollback != null) {
      writeRollback();
      return;
    }
    if (settings.targetRounds() > 0 && version >= settings.targetRounds()) {
      stop("committed " + version + " rounds (--rounds " + settings.targetRounds() + ")", true);
      return;
    }
    phase = RoundPhase.WAITING;
    LOG.info("round={} phase=waiting version={} connected={} min_nodes={}", lastRound + 1, version, members.connectedCount(), settings.policy().minNodes());
    events.phase(lastRound + 1, phase, version);
    maybeOpenRound();
  }

  /**
   * Makes committed version {@code toVersion} current again, as a new version with its parameters
   * (versions only grow, so a node's cache is never wrong). A collecting round is abandoned first,
   * a committing one finishes first; no round opens until the rollback is on disk. The meta-optimiser's
   * momentum is dropped; the privacy spent stays spent.
   *
   * @throws IllegalArgumentException if {@code toVersion} is not older than the current version
   * @throws java.util.NoSuchElementException if no prior file of {@code toVersion} is kept
   * @throws IllegalStateException if another rollback is under way or the coordinator is stopping
   */
  public synchronized CompletableFuture<RolledBack> rollback(long toVersion, String reason) {
    if (toVersion < 0 || toVersion >= version) {
      throw new IllegalArgumentException("version " + Long.toUnsignedString(toVersion) + " is not older than the current version " + version);
    }
    if (!Files.exists(store.priorFile(toVersion))) {
      throw new java.util.NoSuchElementException("prior version " + toVersion + " is not kept in the state directory");
    }
    if (rollback != null) {
      throw new IllegalStateException("a rollback to version " + rollback.toVersion() + " is already under way");
    }
    if (phase == RoundPhase.STOPPED) {
      throw new IllegalStateException("the coordinator is stopping");
    }
    rollback = new PendingRollback(toVersion, reason, new CompletableFuture<>());
    LOG.warn("operator: rolling the prior back to version {} ({})", toVersion, reason.isEmpty() ? "no reason given" : reason);
    if (phase == RoundPhase.COLLECTING && current != null) {
      failRound(current, "the operator rolled the prior back to version " + toVersion);
    } else if (phase == RoundPhase.WAITING) {
      writeRollback();
    }
    // COMMITTING: the round's end starts it
    return rollback.done();
  }

  /** Writes the pending rollback off the engine's lock, then moves the engine on. */
  private void writeRollback() {
    PendingRollback request = rollback;
    long from = version;
    long round = lastRound;
    rollbackWriting = true;
    phase = RoundPhase.COMMITTING;
    events.phase(round + 1, phase, version);
    scheduler.execute(
        () -> {
          CheckpointStore.Rollback written = null;
          IOException failure = null;
          try {
            written = store.rollback(from, from + 1, round, request.toVersion(), spec, request.reason());
          } catch (IOException e) {
            failure = e;
          }
          synchronized (this) {
            rollback = null;
            rollbackWriting = false;
            if (written != null) {
              prior = written.checkpoint().prior();
              version = written.checkpoint().version();
              optimizer.reset();
              LOG.warn("operator: version {} has the parameters of version {} ({})", version, request.toVersion(), request.reason());
              request.done().complete(new RolledBack(version, request.toVersion(), written.sha256()));
            } else {
              LOG.error("operator: cannot roll back to version {}; the prior stays at version {}", request.toVersion(), from, failure);
              request.done().completeExceptionally(failure);
            }
            if (phase == RoundPhase.STOPPED) {
              return;
            }
            phase = RoundPhase.WAITING;
            events.phase(lastRound + 1, phase, version);
            maybeOpenRound();
          }
        });
  }

  /** The outcome of a failed round, recorded in the state file (off the engine's lock). */
  private RoundOutcome failed(OpenRound round, String reason, long atVersion, double seconds) {
    LOG.warn("round={} outcome=failed version={} updates={} reason=\"{}\"", round.number, atVersion, round.aggregate.updates(), reason);
    try {
      store.recordFailedRound(atVersion, round.number);
    } catch (IOException e) {
      LOG.error("cannot record the failed round {}", round.number, e);
    }
    return new RoundOutcome(
        round.number, false, reason, round.aggregate.updates(), round.aggregate.tasks(), atVersion, seconds, Double.NaN, Double.NaN, 0, 0);
  }

  private void remember(RoundOutcome outcome) {
    recent.addFirst(outcome);
    while (recent.size() > RECENT_ROUNDS) {
      recent.removeLast();
    }
  }

  private void stop(String why, boolean federationDone) {
    LOG.info("phase=stopped version={} reason=\"{}\"", version, why);
    phase = RoundPhase.STOPPED;
    this.federationDone = federationDone;
    events.phase(currentRoundNumber(), phase, version);
    members.endAll(federationDone ? RoundWatcher::finished : RoundWatcher::shuttingDown);
    finished.complete(null);
  }

  /**
   * Every keep-alive interval: nodes whose certificate was revoked since their stream opened lose
   * their stream and their membership (a revocation reaches open streams within one interval), and
   * the others hear that the coordinator is alive.
   */
  private synchronized void sendKeepAlives() {
    for (String node : members.connected()) {
      RoundWatcher stream = members.stream(node).orElseThrow();
      if (!stream.stillAuthorized()) {
        revoked(node, stream);
      }
    }
    long round = currentRoundNumber();
    members.tellAll(w -> w.keepAlive(round, phase, version));
  }

  /** Ends a revoked node's stream and membership; an open round no longer waits for it. */
  private void revoked(String node, RoundWatcher stream) {
    LOG.warn("node {}: its certificate was revoked; its stream ends and it leaves the federation", node);
    members.remove(node);
    stream.removed("the certificate of node '" + node + "' was revoked");
    events.nodes(members.joinedCount(), members.connectedCount());
    cutOffUpload(node, "the certificate of node '" + node + "' was revoked during the upload");
    if (current != null && phase == RoundPhase.COLLECTING) {
      current.lapsed.add(node);
      closeIfAllUploaded(current);
    }
  }

  /** Ends {@code node}'s streaming upload, if any, at once rather than when its last chunk arrives. */
  private void cutOffUpload(String node, String reason) {
    Consumer<String> cutOff = current == null ? null : current.inProgress.get(node);
    if (cutOff != null) {
      // the upload calls back into the engine: not under its lock
      scheduler.execute(() -> cutOff.accept(reason));
    }
  }

  /** Stops running rounds: an open round is abandoned (its uploads never count) and streams end. */
  @Override
  public synchronized void close() {
    if (keepAlive != null) {
      keepAlive.cancel(false);
    }
    if (current != null && current.deadlineTimer != null) {
      current.deadlineTimer.cancel(false);
    }
    if (phase != RoundPhase.STOPPED) {
      stop("shutting down", false);
    }
    if (rollback != null && !rollbackWriting) {
      rollback.done().completeExceptionally(new IllegalStateException("the coordinator shut down before the rollback"));
    }
    if (current != null && !current.concluding) {
      current.aggregate.close();
      current.protocol.close();
    }
    current = null;
  }

  private void clearStaging() throws IOException {
    if (!Files.isDirectory(stagingDir)) {
      return;
    }
    try (Stream<Path> files = Files.list(stagingDir)) {
      files.forEach(RoundCoordinator::deleteQuietly);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", file, e.getMessage());
    }
  }
}
