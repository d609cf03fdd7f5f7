package io.fedbase.coordinator.round;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DoubleFold;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.RoundAggregate;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateReceiver;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.privacy.PrivateAggregate;
import io.fedbase.coordinator.secure.SecureAggregate;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.coordinator.secure.SecureRound;
import io.fedbase.coordinator.store.Checkpoint;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.learn.MetaOptimizer;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.privacy.PrivacyLedger;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.secagg.RoundConfig;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecAggServer;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The round state machine of DESIGN §4: WAITING until enough nodes watch, COLLECTING uploads until
 * every participant has sent one or the deadline passes, COMMITTING the meta-update if the quorum
 * was reached. All state sits behind this object's lock; timers run on the injected scheduler and
 * time comes from the injected clock, so tests drive rounds deterministically.
 */
public final class RoundCoordinator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RoundCoordinator.class);
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final int RECENT_ROUNDS = 20;

  private final SupernetSpec spec;
  private final BundleLayout layout;
  private final FederationSettings settings;
  private final MetaOptimizer optimizer;
  private final CheckpointStore store;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Path stagingDir;
  private final Duration keepAliveInterval;
  private final RoundEvents events;

  private final Set<String> joined = new HashSet<>();
  private OperatorControls controls = OperatorControls.none();
  private final Map<String, RoundWatcher> watchers = new TreeMap<>();
  private final Deque<RoundOutcome> recent = new ArrayDeque<>();
  private final CompletableFuture<Void> finished = new CompletableFuture<>();

  private Bundle prior;
  private long version;
  private long lastRound;
  private RoundPhase phase = RoundPhase.WAITING;
  private boolean federationDone;
  private OpenRound current;
  /** What the current prior cost in privacy (every committed round in its ledger); null when not private. */
  private PrivacyReport privacyReport;
  private final RandomGenerator noise = GaussianMechanism.noiseSource();
  private final SecureRandom sampling = new SecureRandom();
  private ScheduledFuture<?> keepAlive;
  private volatile boolean started;

  /** Builds a coordinator; call {@link #start(Bundle)} before anything else. */
  public RoundCoordinator(
      SupernetSpec spec,
      FederationSettings settings,
      MetaOptimizer optimizer,
      CheckpointStore store,
      Clock clock,
      ScheduledExecutorService scheduler,
      Duration keepAliveInterval,
      RoundEvents events) {
    this.spec = spec;
    this.layout = BundleLayout.of(spec);
    this.settings = settings;
    this.optimizer = optimizer;
    this.store = store;
    this.clock = clock;
    this.scheduler = scheduler;
    this.stagingDir = store.directory().resolve("staging");
    this.keepAliveInterval = keepAliveInterval;
    this.events = events;
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
        settings.aggregation(),
        DoubleFold.fastest().name(),
        DoubleFold.vector().isPresent() ? "" : "; start java with --add-modules jdk.incubator.vector for the vectorized one");
    prior = from.prior();
    version = from.version();
    lastRound = from.lastRound();
    controls = store.readControls();
    restorePrivacyLedger();
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

  /** Registers a node; idempotent. Returns the newest prior version. */
  public synchronized long join(String nodeId) {
    requireValidNodeId(nodeId);
    requireNotRemoved(nodeId);
    if (joined.add(nodeId)) {
      LOG.info("node {} joined", nodeId);
      events.nodes(joined.size(), watchers.size());
    }
    return version;
  }

  /**
   * Opens {@code nodeId}'s round stream, replacing an older one. A node that reconnects during a
   * round it was selected for gets its assignment again.
   */
  public synchronized void watch(String nodeId, RoundWatcher watcher) {
    requireNotRemoved(nodeId);
    if (!joined.contains(nodeId)) {
      throw new IllegalStateException("node '" + nodeId + "' has not joined; call Join first");
    }
    watchers.put(nodeId, watcher);
    events.nodes(joined.size(), watchers.size());
    if (phase == RoundPhase.STOPPED) {
      if (federationDone) {
        watcher.finished();
      } else {
        watcher.shuttingDown();
      }
      watchers.remove(nodeId);
      return;
    }
    if (phase == RoundPhase.COLLECTING && current.assignments.containsKey(nodeId) && !current.accepted.containsKey(nodeId)) {
      watcher.assigned(current.assignments.get(nodeId));
    } else {
      watcher.keepAlive(currentRoundNumber(), phase, version);
    }
    if (current != null && current.secure != null) {
      // a secure step relayed while the node was away would otherwise be lost to it
      current.secure.lastRelayedTo(nodeId).ifPresent(watcher::secureStep);
    }
    maybeOpenRound();
  }

  /** Closes {@code nodeId}'s stream if {@code watcher} is still its current one. */
  public synchronized void unwatch(String nodeId, RoundWatcher watcher) {
    if (watchers.get(nodeId) == watcher) {
      watchers.remove(nodeId);
      LOG.info("node {} disconnected", nodeId);
      events.nodes(joined.size(), watchers.size());
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
    if (watchers.containsKey(nodeId) || round.accepted.containsKey(nodeId) || round.inProgress.contains(nodeId)) {
      return;
    }
    round.lapsed.add(nodeId);
    LOG.info("round={} node={} lease expired after {} s disconnected; the round no longer waits for it", round.number, nodeId, leaseDuration().toSeconds());
    closeIfAllUploaded(round);
  }

  /** Checks an upload's header against the collecting round; see {@link UploadStart}. */
  public synchronized UploadStart beginUpload(UpdateHeaderFields header) throws UpdateRejectedException {
    if (controls.removed(header.nodeId())) {
      throw new UpdateRejectedException(Reason.REMOVED, "node '" + header.nodeId() + "' was removed from the federation by an operator");
    }
    if (!joined.contains(header.nodeId())) {
      throw new UpdateRejectedException(Reason.UNKNOWN_NODE, "node '" + header.nodeId() + "' has not joined");
    }
    if (header.round() > currentRoundNumber() || current == null && header.round() == currentRoundNumber()) {
      throw new UpdateRejectedException(
          Reason.WRONG_ROUND, "round " + header.round() + " is not open; " + describeCurrent());
    }
    if (header.round() < currentRoundNumber() || phase != RoundPhase.COLLECTING) {
      throw new UpdateRejectedException(Reason.LATE, "round " + header.round() + " is closed; " + describeCurrent());
    }
    OpenRound round = current;
    Receipt previous = round.accepted.get(header.nodeId());
    if (previous != null) {
      events.duplicate();
      return new UploadStart.Repeat(previous.asDuplicate());
    }
    Assignment assignment = round.assignments.get(header.nodeId());
    if (assignment == null) {
      throw new UpdateRejectedException(
          Reason.NOT_SELECTED, "node '" + header.nodeId() + "' is not a participant of round " + round.number);
    }
    if (!clock.instant().isBefore(round.deadline)) {
      throw new UpdateRejectedException(Reason.LATE, "the deadline of round " + round.number + " has passed");
    }
    if (header.priorVersion() != round.priorVersion) {
      throw new UpdateRejectedException(
          Reason.STALE_VERSION,
          "the delta is against prior version " + header.priorVersion() + ", round " + round.number + " uses version "
              + round.priorVersion);
    }
    requireShape(header, assignment);
    if (!round.inProgress.add(header.nodeId())) {
      throw new UpdateRejectedException(
          Reason.IN_PROGRESS, "an upload from node '" + header.nodeId() + "' for round " + round.number + " is in progress");
    }
    try {
      return new UploadStart.Fresh(new UpdateReceiver(header, layout, stagingDir));
    } catch (UpdateRejectedException e) {
      round.inProgress.remove(header.nodeId());
      throw e;
    }
  }

  private void requireShape(UpdateHeaderFields header, Assignment assignment) throws UpdateRejectedException {
    if (!header.specHash().equals(layout.specHash())) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "the delta belongs to model " + BundleLayout.shortHash(header.specHash()) + ", not " + BundleLayout.shortHash(layout.specHash()));
    }
    if (assignment.secure().isPresent()) {
      requireMaskedUpload(header);
      return;
    }
    DeltaEncoding encoding =
        header.encoding()
            .filter(settings.acceptedEncodings()::contains)
            .orElseThrow(
                () ->
                    new UpdateRejectedException(
                        Reason.WRONG_SHAPE,
                        "unsupported update encoding; this federation accepts "
                            + settings.acceptedEncodings().stream().sorted().map(DeltaEncoding::label).toList()));
    long expected = encoding.payloadBytes(layout);
    if (header.payloadBytes() > expected) {
      throw new UpdateRejectedException(
          Reason.OVERSIZED, "declared payload of " + header.payloadBytes() + " bytes exceeds the model's " + expected + " in " + encoding);
    }
    if (header.payloadBytes() != expected) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "declared payload of " + header.payloadBytes() + " bytes, the model's delta has " + expected + " in " + encoding);
    }
    if (header.taskCount() < 1 || header.taskCount() > assignment.tasks()) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "task count " + header.taskCount() + " outside 1.." + assignment.tasks() + " (the assignment)");
    }
  }

  /** A secure round takes only masked uploads of the whole model, once the keys are shared. */
  private void requireMaskedUpload(UpdateHeaderFields header) throws UpdateRejectedException {
    if (header.encoding().filter(DeltaEncoding::masked).isEmpty()) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "round " + header.round() + " is securely aggregated: upload the masked delta (" + DeltaEncoding.SECURE_RING32 + ")");
    }
    long expected = DeltaEncoding.SECURE_RING32.payloadBytes(layout);
    if (header.payloadBytes() != expected) {
      throw new UpdateRejectedException(
          header.payloadBytes() > expected ? Reason.OVERSIZED : Reason.WRONG_SHAPE,
          "declared payload of " + header.payloadBytes() + " bytes, the masked delta has " + expected);
    }
    SecureRound secure = current.secure;
    if (!secure.acceptingUploads() || !secure.uploaders().contains(header.nodeId())) {
      throw new UpdateRejectedException(
          Reason.WRONG_ROUND,
          "node '" + header.nodeId() + "' may not upload in round " + header.round() + " now: the secure round is in step " + secure.phase()
              + (secure.uploaders().contains(header.nodeId()) ? "" : " and the node did not share its keys"));
    }
  }

  /** Folds a completely received upload into the round, or refuses it if the round moved on. */
  public synchronized Receipt completeUpload(StagedUpdate staged) throws UpdateRejectedException {
    UpdateHeaderFields header = staged.header();
    OpenRound round = current;
    try {
      if (round == null || round.number != header.round() || phase != RoundPhase.COLLECTING) {
        throw new UpdateRejectedException(Reason.LATE, "round " + header.round() + " closed during the upload");
      }
      round.inProgress.remove(header.nodeId());
      if (controls.removed(header.nodeId())) {
        throw new UpdateRejectedException(Reason.REMOVED, "node '" + header.nodeId() + "' was removed by an operator during the upload");
      }
      if (!clock.instant().isBefore(round.deadline)) {
        throw new UpdateRejectedException(Reason.LATE, "the deadline of round " + round.number + " passed during the upload");
      }
      NormBound bound = settings.normBound();
      bound.check(staged);
      float weightScale = bound.weightScale(staged.weightNorm());
      float logitScale = bound.logitScale(staged.logitNorm());
      if (settings.privacy().isPresent()) {
        // the noise is calibrated to these bounds, so the coordinator enforces them whatever a node did
        PrivacySettings dp = settings.privacy().get();
        NormBound clip = new NormBound(dp.weightClip(), dp.logitClip(), NormBound.Action.CLIP);
        weightScale *= clip.weightScale(staged.weightNorm() * weightScale);
        logitScale *= clip.logitScale(staged.logitNorm() * logitScale);
      }
      long mergeStart = System.nanoTime();
      try {
        round.aggregate.merge(staged, weightScale, logitScale);
        round.uploads.add(
            new CommitManifest.Upload(
                header.nodeId(), staged.sha256(), header.taskCount(), staged.weightNorm(), staged.logitNorm(), weightScale, logitScale));
        events.accepted(header.taskCount(), (System.nanoTime() - mergeStart) / 1e9);
      } catch (IOException e) {
        throw new UpdateRejectedException(Reason.UNAVAILABLE, "cannot read the staged upload back: " + e.getMessage());
      }
      Receipt receipt = new Receipt(round.number, false, round.aggregate.updates());
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
      closeIfAllUploaded(round);
      return receipt;
    } finally {
      // a refused upload's file; a merged one's is already gone (deleted, or renamed by a rule that keeps it)
      deleteQuietly(staged.file());
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
        List.copyOf(watchers.keySet()),
        List.copyOf(recent),
        settings.targetRounds(),
        DartsNotation.format(GenotypeRule.BASE.derive(ArchitectureLogits.of(prior, spec.operations(), spec.nodes()))),
        controls,
        Optional.ofNullable(privacyReport));
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
    requireValidNodeId(nodeId);
    setControls(controls.remove(nodeId));
    LOG.warn("operator: node {} removed ({})", nodeId, reason.isEmpty() ? "no reason given" : reason);
    joined.remove(nodeId);
    RoundWatcher watcher = watchers.remove(nodeId);
    if (watcher != null) {
      watcher.removed("node '" + nodeId + "' was removed from the federation by an operator" + (reason.isEmpty() ? "" : ": " + reason));
    }
    events.nodes(joined.size(), watchers.size());
    if (current != null && phase == RoundPhase.COLLECTING) {
      closeIfAllUploaded(current);
    }
    return controls;
  }

  /** Lets a removed node join again; persisted. */
  public synchronized OperatorControls readmitNode(String nodeId) throws IOException {
    requireValidNodeId(nodeId);
    if (!controls.removed(nodeId)) {
      throw new IllegalArgumentException("node '" + nodeId + "' is not removed");
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
    if (round.secure != null && !round.secure.acceptingUploads()) {
      return;
    }
    Collection<String> uploaders = round.secure != null ? round.secure.uploaders() : round.assignments.keySet();
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
    if (phase != RoundPhase.WAITING || controls.paused() || watchers.size() < settings.policy().minNodes()) {
      return;
    }
    Optional<PrivacySettings> dp = settings.privacy();
    if (dp.isPresent()
        && dp.get().hasBudget()
        && privacyReport.ledger().wouldExceed(dp.get().budgetEpsilon(), dp.get().delta(), dp.get().sampleRate(), dp.get().noiseMultiplier())) {
      stop(
          String.format(
              Locale.ROOT,
              "the privacy budget: another round would take epsilon from %.4f above %.4f (delta %g)",
              privacyReport.epsilon(),
              dp.get().budgetEpsilon(),
              dp.get().delta()),
          true);
      return;
    }
    List<String> participants = sampleParticipants();
    int needed = Math.max(settings.policy().quorum(), settings.secureAggregation().isPresent() ? 2 : 1);
    if (participants.size() < needed) {
      // too few drawn this time: nothing is released, so nothing is spent; draw again shortly
      LOG.info("round={} drew {} of {} connected nodes, fewer than {}; drawing again", lastRound + 1, participants.size(), watchers.size(), needed);
      scheduler.schedule(this::openRoundIfWaiting, keepAliveInterval.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    long number = lastRound + 1;
    Instant deadline = clock.instant().plus(settings.policy().deadline());
    int perNode = settings.tasksPerNode();
    long roundTasks = (long) participants.size() * perNode;
    Map<String, Assignment> assignments = new LinkedHashMap<>();
    SecureRound secure =
        settings.secureAggregation()
            .map(
                sa ->
                    new SecureRound(
                        new RoundConfig(number, participants, sa.thresholdFor(participants.size()), layout.totalSize(), ringClip(sa, participants.size()))))
            .orElse(null);
    Optional<SecureTerms> terms = Optional.ofNullable(secure).map(r -> new SecureTerms(r.config().threshold(), r.config().clip()));
    Optional<PrivacyTerms> privacyTerms = dp.map(d -> d.nodeTerms(participants.size()));
    for (int i = 0; i < participants.size(); i++) {
      assignments.put(
          participants.get(i),
          new Assignment(
              number,
              version,
              deadline,
              perNode,
              settings.tasks(),
              settings.inner().withAdaptLogits(settings.inner().adaptLogits() && version >= settings.warmupRounds()),
              settings.tauAt(version),
              settings.seed(),
              participants,
              version * roundTasks + (long) i * perNode,
              terms,
              privacyTerms));
    }
    RoundAggregator aggregate =
        secure != null ? new SecureAggregate(secure, layout) : dp.isPresent() ? new RoundAggregate(layout, false) : settings.aggregation().open(layout);
    if (dp.isPresent()) {
      aggregate = new PrivateAggregate(aggregate, dp.get(), noise);
    }
    current = new OpenRound(number, version, deadline, assignments, aggregate, secure, clock.instant());
    phase = RoundPhase.COLLECTING;
    LOG.info("round={} phase=collecting version={} participants={} deadline={}", number, version, participants.size(), deadline);
    events.phase(number, phase, version);
    for (Map.Entry<String, Assignment> e : assignments.entrySet()) {
      watchers.get(e.getKey()).assigned(e.getValue());
    }
    long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
    current.deadlineTimer = scheduler.schedule(() -> closeRound(number), delay, TimeUnit.MILLISECONDS);
    if (secure != null) {
      scheduleSecureStep(current, SecAggServer.Phase.ADVERTISING);
    }
  }

  /** The privacy spent so far, from the newest manifest: a restart must not forget a round's cost. */
  private void restorePrivacyLedger() throws IOException {
    if (settings.privacy().isEmpty()) {
      return;
    }
    PrivacySettings dp = settings.privacy().get();
    Optional<PrivacyReport> last = version == 0 ? Optional.empty() : store.readManifest(version).map(CommitManifest::privacy);
    if (version > 0 && last.isEmpty()) {
      throw new IllegalStateException(
          "prior version " + version + " has no privacy record: it was trained without differential privacy, so no guarantee can be stated for it; start a private federation from a new state directory");
    }
    privacyReport = PrivacyReport.of(dp, last.map(PrivacyReport::ledger).orElse(PrivacyLedger.empty()), dp.noiseMultiplier(), dp.sampleRate());
    LOG.info("privacy: {} rounds so far, epsilon={} at delta={} (budget {})", privacyReport.rounds(), privacyReport.epsilon(), dp.delta(), dp.budgetEpsilon());
  }

  private synchronized void openRoundIfWaiting() {
    maybeOpenRound();
  }

  /**
   * The round's participants: every connected node, or in a private federation with a sampling
   * rate below 1 each one independently with that probability (the Poisson sampling the accountant
   * assumes).
   */
  private List<String> sampleParticipants() {
    List<String> connected = new ArrayList<>(watchers.keySet());
    double rate = settings.privacy().map(PrivacySettings::sampleRate).orElse(1.0);
    if (rate >= 1) {
      return connected;
    }
    List<String> drawn = new ArrayList<>();
    for (String node : connected) {
      if (sampling.nextDouble() < rate) {
        drawn.add(node);
      }
    }
    return drawn;
  }

  /**
   * The L2 bound of a secure round's ring: the configured one, or large enough for a private
   * delta — clipped to the sensitivity plus, in distributed mode, its noise share (whose norm stays
   * below σ_share · (√n + 6) but for a vanishing probability) — since clipping again would cut the
   * noise the guarantee counts on.
   */
  private float ringClip(SecureAggregationSettings sa, int participants) {
    if (settings.privacy().isEmpty()) {
      return sa.clip();
    }
    PrivacyTerms terms = settings.privacy().get().nodeTerms(participants);
    double needed = GaussianMechanism.sensitivity(terms.weightClip(), terms.logitClip()) + terms.noiseStddev() * (Math.sqrt(layout.totalSize()) + 6);
    return (float) Math.max(sa.clip(), needed * 1.001);
  }

  /** Closes {@code step} of {@code round}'s secure protocol after the step timeout, if it is still open then. */
  private void scheduleSecureStep(OpenRound round, SecAggServer.Phase step) {
    long timeout = settings.secureAggregation().orElseThrow().stepTimeout().toMillis();
    scheduler.schedule(() -> secureStepTimedOut(round.number, step), timeout, TimeUnit.MILLISECONDS);
  }

  private synchronized void secureStepTimedOut(long number, SecAggServer.Phase step) {
    OpenRound round = current;
    if (round != null && round.number == number && round.secure != null && round.secure.phase() == step) {
      LOG.info("round={} secure step {} timed out; going on with the nodes that answered", number, step);
      closeSecureStep(round);
    }
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
    if (round == null || round.number != roundNumber || round.secure == null) {
      throw new IllegalStateException("round " + roundNumber + " is not an open secure round; " + describeCurrent());
    }
    if (!round.assignments.containsKey(nodeId)) {
      throw new IllegalStateException("node '" + nodeId + "' is not a participant of round " + roundNumber);
    }
    SecureRound secure = round.secure;
    boolean complete;
    if (message instanceof SecureMessage.Advertise a) {
      complete = secure.advertise(nodeId, a.advertisement(), a.certificate());
    } else if (message instanceof SecureMessage.Share sh) {
      complete = secure.share(nodeId, sh.shares());
    } else {
      complete = secure.reveal(nodeId, ((SecureMessage.Reveal) message).response());
    }
    if (complete) {
      closeSecureStep(round);
    }
  }

  /** Ends the current step of a secure round and relays what it produced; a failure fails the round. */
  private void closeSecureStep(OpenRound round) {
    SecureRound secure = round.secure;
    SecAggServer.Phase step = secure.phase();
    try {
      switch (step) {
        case ADVERTISING -> {
          relay(secure.closeAdvertising());
          scheduleSecureStep(round, SecAggServer.Phase.SHARING);
        }
        case SHARING -> {
          relay(secure.closeSharing());
          // masked uploads now run until the round's deadline, or until every node that shared uploaded
          closeIfAllUploaded(round);
        }
        case UNMASKING -> concludeRound(round);
        default -> throw new IllegalStateException("secure step " + step + " does not close by message");
      }
    } catch (SecAggException e) {
      LOG.warn("round={} secure aggregation failed in step {}: {}", round.number, step, e.getMessage());
      failSecureRound(round, "secure aggregation failed: " + e.getMessage());
    }
  }

  private void relay(Map<String, SecureStep> steps) {
    steps.forEach(
        (node, step) -> {
          RoundWatcher w = watchers.get(node);
          if (w != null) {
            w.secureStep(step);
          }
        });
  }

  /** A secure round that cannot finish: the prior is untouched and the next round may open. */
  private void failSecureRound(OpenRound round, String reason) {
    if (round.deadlineTimer != null) {
      round.deadlineTimer.cancel(false);
    }
    phase = RoundPhase.COMMITTING;
    RoundOutcome outcome = failed(round, reason, Duration.between(round.opened, clock.instant()).toNanos() / 1e9);
    endRound(round, outcome);
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
    int accepted = round.aggregate.updates();
    LOG.info("round={} phase=committing version={} updates={} selected={}", round.number, version, accepted, round.assignments.size());
    events.phase(round.number, phase, version);
    if (round.secure != null && accepted >= settings.policy().quorum()) {
      if (round.secure.phase() != SecAggServer.Phase.MASKING) {
        failSecureRound(round, "secure aggregation did not reach the upload step (" + round.secure.phase() + ") before the deadline");
        return;
      }
      try {
        relay(round.secure.closeMaskedInput());
        scheduleSecureStep(round, SecAggServer.Phase.UNMASKING);
      } catch (SecAggException e) {
        failSecureRound(round, "secure aggregation failed: " + e.getMessage());
      }
      return;
    }
    concludeRound(round);
  }

  /** Commits (with quorum) or fails a round whose collection has ended, then moves on. */
  private void concludeRound(OpenRound round) {
    int accepted = round.aggregate.updates();
    double seconds = Duration.between(round.opened, clock.instant()).toNanos() / 1e9;
    RoundOutcome outcome;
    if (accepted < settings.policy().quorum()) {
      outcome = failed(round, "quorum not reached: " + accepted + " of " + settings.policy().quorum() + " updates", seconds);
    } else {
      try {
        outcome = commit(round, seconds);
      } catch (RuntimeException e) {
        // a bug must not leave the coordinator stuck mid-commit: the round fails, the prior stays
        LOG.error("round {}: the commit failed unexpectedly, the prior is unchanged", round.number, e);
        outcome = failed(round, "internal error while committing: " + e, seconds);
      }
    }
    endRound(round, outcome);
  }

  private void endRound(OpenRound round, RoundOutcome outcome) {
    round.aggregate.close();
    remember(outcome);
    events.closed(outcome, round.assignments.size());
    current = null;
    lastRound = round.number;
    if (settings.targetRounds() > 0 && version >= settings.targetRounds()) {
      stop("committed " + version + " rounds (--rounds " + settings.targetRounds() + ")", true);
      return;
    }
    phase = RoundPhase.WAITING;
    LOG.info("round={} phase=waiting version={} connected={} min_nodes={}", lastRound + 1, version, watchers.size(), settings.policy().minNodes());
    events.phase(lastRound + 1, phase, version);
    maybeOpenRound();
  }

  private RoundOutcome commit(OpenRound round, double seconds) {
    long stepStart = System.nanoTime();
    Bundle delta;
    try {
      delta = round.aggregate.result();
    } catch (IOException e) {
      LOG.error("round {}: cannot compute the round's aggregate, the prior is unchanged", round.number, e);
      return failed(round, "cannot compute the round's aggregate: " + e.getMessage(), seconds);
    }
    int index = settings.scheduleIndex(version);
    Bundle next = optimizer.step(prior, delta, index, settings.scheduleRounds());
    events.metaUpdate((System.nanoTime() - stepStart) / 1e9);
    String bad = next.firstNonFiniteTensor();
    if (bad != null) {
      return failed(round, "the meta-update made " + bad + " non-finite; the prior is unchanged", seconds);
    }
    SearchHealth health = SearchHealth.of(spec, prior, next, round.aggregate.logitDeltas());
    PrivacyReport report = settings.privacy().map(dp -> privacyAfter(dp, round)).orElse(null);
    if (report != null && report.budgetEpsilon() != null && report.epsilon() > report.budgetEpsilon()) {
      // distributed noise from fewer nodes than selected: releasing this round would break the budget
      return failed(
          round,
          String.format(
              Locale.ROOT,
              "committing would take epsilon to %.4f, above the budget %.4f (only %d of %d nodes' noise shares arrived); the prior is unchanged",
              report.epsilon(), report.budgetEpsilon(), round.aggregate.updates(), round.assignments.size()),
          seconds);
    }
    Map<String, String> metadata = new TreeMap<>();
    metadata.put("optimizer", optimizer.toString());
    metadata.put("aggregation", round.aggregate.toString());
    metadata.put("updates", Integer.toString(round.aggregate.updates()));
    if (report != null) {
      metadata.putAll(privacyMetadata(report));
    }
    long writeStart = System.nanoTime();
    try {
      store.commit(
          new Checkpoint(version + 1, round.number, next),
          spec,
          metadata,
          new CommitManifest.Draft(
              round.number, version, round.aggregate.toString(), optimizer.toString(), index, settings.scheduleRounds(), round.uploads, report));
      events.checkpoint((System.nanoTime() - writeStart) / 1e9, fileSize(store.priorFile(version + 1)), true);
    } catch (IOException e) {
      events.checkpoint((System.nanoTime() - writeStart) / 1e9, 0, false);
      LOG.error("round {}: cannot write the checkpoint, the prior is unchanged", round.number, e);
      return failed(round, "checkpoint write failed: " + e.getMessage(), seconds);
    }
    events.searchHealth(health);
    if (report != null) {
      privacyReport = report;
      events.privacy(report);
      LOG.info("round={} privacy epsilon={} delta={} rounds={}", round.number, String.format("%.4f", report.epsilon()), report.delta(), report.rounds());
    }
    prior = next;
    version++;
    long tasks = round.aggregate.tasks();
    RoundOutcome outcome =
        new RoundOutcome(
            round.number,
            true,
            "",
            round.aggregate.updates(),
            tasks,
            version,
            seconds,
            round.lossAfter / tasks,
            round.accuracy / tasks,
            health.weightUpdateNorm(),
            health.logitUpdateNorm());
    LOG.info(
        "round={} outcome=committed version={} updates={} tasks={} loss_after={} query_acc={} seconds={}",
        round.number,
        version,
        outcome.acceptedUpdates(),
        tasks,
        String.format("%.3f", outcome.supportLossAfter()),
        String.format("%.3f", outcome.queryAccuracy()),
        String.format("%.1f", seconds));
    return outcome;
  }

  /** The ledger with this round added, at the noise that really reached the sum. */
  private PrivacyReport privacyAfter(PrivacySettings dp, OpenRound round) {
    double sigma = dp.effectiveNoiseMultiplier(round.assignments.size(), round.aggregate.updates());
    return PrivacyReport.of(dp, privacyReport.ledger().plus(dp.sampleRate(), sigma), sigma, dp.sampleRate());
  }

  /** The privacy cost written into the prior file itself, so whoever fetches the prior sees it. */
  private static Map<String, String> privacyMetadata(PrivacyReport r) {
    Map<String, String> m = new TreeMap<>();
    m.put("dp_mode", r.mode());
    m.put("dp_epsilon", String.format(Locale.ROOT, "%.6g", r.epsilon()));
    m.put("dp_delta", String.format(Locale.ROOT, "%g", r.delta()));
    m.put("dp_rounds", Long.toString(r.rounds()));
    m.put("dp_noise_multiplier", String.format(Locale.ROOT, "%g", r.noiseMultiplier()));
    m.put("dp_sampling_rate", String.format(Locale.ROOT, "%g", r.samplingRate()));
    m.put("dp_weight_clip", String.format(Locale.ROOT, "%g", r.weightClip()));
    m.put("dp_logit_clip", String.format(Locale.ROOT, "%g", r.logitClip()));
    return m;
  }

  private RoundOutcome failed(OpenRound round, String reason, double seconds) {
    LOG.warn("round={} outcome=failed version={} updates={} reason=\"{}\"", round.number, version, round.aggregate.updates(), reason);
    try {
      store.recordFailedRound(version, round.number);
    } catch (IOException e) {
      LOG.error("cannot record the failed round {}", round.number, e);
    }
    return new RoundOutcome(
        round.number, false, reason, round.aggregate.updates(), round.aggregate.tasks(), version, seconds, Double.NaN, Double.NaN, 0, 0);
  }

  private static long fileSize(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
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
    for (RoundWatcher w : watchers.values()) {
      if (federationDone) {
        w.finished();
      } else {
        w.shuttingDown();
      }
    }
    watchers.clear();
    finished.complete(null);
  }

  private synchronized void sendKeepAlives() {
    for (RoundWatcher w : watchers.values()) {
      w.keepAlive(currentRoundNumber(), phase, version);
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
    if (current != null) {
      current.aggregate.close();
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

  private static void requireValidNodeId(String nodeId) {
    if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("node id must be 1 to 64 of [A-Za-z0-9._-], got '" + nodeId + "'");
    }
  }

  /** The round being collected. */
  private static final class OpenRound {
    final long number;
    final long priorVersion;
    final Instant deadline;
    final Map<String, Assignment> assignments;
    final RoundAggregator aggregate;
    /** The secure-aggregation protocol state; null when the round is aggregated in the clear. */
    final SecureRound secure;
    final Instant opened;
    final Map<String, Receipt> accepted = new HashMap<>();
    final Set<String> inProgress = new HashSet<>();
    /** Selected nodes whose lease expired while disconnected. */
    final Set<String> lapsed = new HashSet<>();
    final List<CommitManifest.Upload> uploads = new ArrayList<>();
    double lossAfter;
    double accuracy;
    ScheduledFuture<?> deadlineTimer;

    OpenRound(
        long number, long priorVersion, Instant deadline, Map<String, Assignment> assignments, RoundAggregator aggregate, SecureRound secure, Instant opened) {
      this.number = number;
      this.priorVersion = priorVersion;
      this.deadline = deadline;
      this.assignments = assignments;
      this.aggregate = aggregate;
      this.secure = secure;
      this.opened = opened;
    }
  }
}
