package io.fedbase.coordinator.metrics;

import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.round.RoundEvents;
import io.fedbase.coordinator.round.RoundOutcome;
import io.fedbase.coordinator.round.RoundPhase;
import io.fedbase.coordinator.round.SearchHealth;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.coordinator.transport.TransferObserver;
import io.fedbase.space.CellType;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import java.util.Locale;

/**
 * The coordinator's Prometheus metrics (listed in README.md, "Watching a coordinator"), fed by the round state machine's events. Every
 * label set is bounded (outcomes, refusal reasons, phases, cell types, parts); node ids never appear.
 */
public final class CoordinatorMetrics implements RoundEvents, TransferObserver, SecurityAudit.Tally {

  private final Counter rounds;
  private final Gauge phase;
  private final Gauge roundNumber;
  private final Histogram roundDuration;
  private final Gauge nodesJoined;
  private final Gauge nodesConnected;
  private final Gauge roundSelected;
  private final Gauge roundReported;
  private final Counter nodesDropped;
  private final Counter updates;
  private final Counter tasks;
  private final Counter bytes;
  private final Counter accessRefused;
  private final Histogram aggregation;
  private final Histogram metaUpdate;
  private final Histogram checkpoint;
  private final Counter checkpointFailures;
  private final Gauge priorVersion;
  private final Gauge priorBytes;
  private final Gauge updateNorm;
  private final Gauge entropy;
  private final Gauge argmaxChanges;
  private final Gauge privacyEpsilon;
  private final Gauge privacyBudget;
  private final Gauge nodeAgreement;
  private final Gauge lastCommit;

  public CoordinatorMetrics(CollectorRegistry registry) {
    rounds = Counter.build("fedbase_rounds_total", "Closed rounds by outcome.").labelNames("outcome").register(registry);
    phase = Gauge.build("fedbase_round_phase", "1 for the coordinator's current round phase, 0 for the others.").labelNames("phase").register(registry);
    roundNumber = Gauge.build("fedbase_round_number", "Number of the current (or next) round.").register(registry);
    roundDuration =
        Histogram.build("fedbase_round_duration_seconds", "Time from a round's opening to its close.")
            .exponentialBuckets(1, 2, 14)
            .register(registry);
    nodesJoined = Gauge.build("fedbase_nodes_joined", "Nodes that have joined since the coordinator started.").register(registry);
    nodesConnected = Gauge.build("fedbase_nodes_connected", "Nodes with an open round stream.").register(registry);
    roundSelected = Gauge.build("fedbase_round_selected_nodes", "Nodes assigned work in the last closed round.").register(registry);
    roundReported = Gauge.build("fedbase_round_reported_nodes", "Nodes whose update counted in the last closed round.").register(registry);
    nodesDropped = Counter.build("fedbase_round_dropped_nodes_total", "Selected nodes whose update did not count.").register(registry);
    updates =
        Counter.build("fedbase_updates_total", "Uploads by outcome (accepted, duplicate, refused) and refusal reason.")
            .labelNames("outcome", "reason")
            .register(registry);
    tasks = Counter.build("fedbase_update_tasks_total", "Tasks behind accepted updates.").register(registry);
    bytes = Counter.build("fedbase_transfer_bytes_total", "Payload bytes received (uploads) and sent (priors).").labelNames("direction").register(registry);
    accessRefused =
        Counter.build("fedbase_access_refused_total", "Refused TLS handshakes and calls, by kind (authentication, authorization); the audit log is rate-limited, this is not.")
            .labelNames("kind")
            .register(registry);
    aggregation = Histogram.build("fedbase_aggregation_seconds", "Time to fold one accepted update into the round's sum.").register(registry);
    metaUpdate = Histogram.build("fedbase_meta_update_seconds", "Time of the meta-update at a commit.").register(registry);
    checkpoint = Histogram.build("fedbase_checkpoint_seconds", "Time to write a committed prior durably.").register(registry);
    checkpointFailures = Counter.build("fedbase_checkpoint_failures_total", "Checkpoint writes that failed.").register(registry);
    priorVersion = Gauge.build("fedbase_prior_version", "Newest committed prior version.").register(registry);
    priorBytes = Gauge.build("fedbase_prior_bytes", "Size of the newest prior's bundle file.").register(registry);
    updateNorm = Gauge.build("fedbase_meta_update_norm", "L2 norm of the last applied meta-update, by part.").labelNames("part").register(registry);
    entropy = Gauge.build("fedbase_search_entropy", "Mean entropy (nats) of the edge softmax, by cell type.").labelNames("cell").register(registry);
    argmaxChanges =
        Gauge.build("fedbase_search_argmax_changes", "Edges whose most probable operation changed in the last committed round.")
            .labelNames("cell")
            .register(registry);
    nodeAgreement =
        Gauge.build("fedbase_search_node_agreement", "Mean pairwise cosine of the nodes' logit deltas in the last committed round.")
            .register(registry);
    privacyEpsilon =
        Gauge.build("fedbase_privacy_epsilon", "Differential-privacy epsilon the current prior has cost (at fedbase_privacy_delta); absent when not private.")
            .labelNames("delta")
            .register(registry);
    privacyBudget = Gauge.build("fedbase_privacy_budget_epsilon", "The epsilon budget rounds stop at (+Inf: none).").register(registry);
    lastCommit =
        Gauge.build("fedbase_last_commit_timestamp_seconds", "Unix time of the last committed round (or of the coordinator's start).")
            .register(registry);
    // starts at the start time, so "no commit for N minutes" also fires for a coordinator that never commits
    lastCommit.setToCurrentTime();
    for (RoundPhase p : RoundPhase.values()) {
      phase.labels(label(p)).set(0);
    }
    for (String outcome : new String[] {"committed", "failed"}) {
      rounds.labels(outcome);
    }
    updates.labels("accepted", "");
    updates.labels("duplicate", "");
    for (UpdateRejectedException.Reason r : UpdateRejectedException.Reason.values()) {
      updates.labels("refused", r.label());
    }
    bytes.labels("in");
    bytes.labels("out");
    for (SecurityAudit.Kind kind : SecurityAudit.Kind.values()) {
      accessRefused.labels(kind.key());
    }
  }

  @Override
  public void phase(long round, RoundPhase p, long version) {
    for (RoundPhase other : RoundPhase.values()) {
      phase.labels(label(other)).set(other == p ? 1 : 0);
    }
    roundNumber.set(round);
    priorVersion.set(version);
  }

  @Override
  public void nodes(int joined, int connected) {
    nodesJoined.set(joined);
    nodesConnected.set(connected);
  }

  @Override
  public void accepted(int taskCount, double mergeSeconds) {
    updates.labels("accepted", "").inc();
    tasks.inc(taskCount);
    aggregation.observe(mergeSeconds);
  }

  @Override
  public void refused(UpdateRejectedException.Reason reason) {
    updates.labels("refused", reason.label()).inc();
  }

  @Override
  public void duplicate() {
    updates.labels("duplicate", "").inc();
  }

  @Override
  public void closed(RoundOutcome outcome, int selected) {
    rounds.labels(outcome.committed() ? "committed" : "failed").inc();
    roundDuration.observe(outcome.seconds());
    roundSelected.set(selected);
    roundReported.set(outcome.acceptedUpdates());
    nodesDropped.inc(Math.max(0, selected - outcome.acceptedUpdates()));
    priorVersion.set(outcome.priorVersion());
    if (outcome.committed()) {
      lastCommit.setToCurrentTime();
    }
  }

  @Override
  public void metaUpdate(double seconds) {
    metaUpdate.observe(seconds);
  }

  @Override
  public void checkpoint(double seconds, long fileBytes, boolean ok) {
    checkpoint.observe(seconds);
    if (ok) {
      priorBytes.set(fileBytes);
    } else {
      checkpointFailures.inc();
    }
  }

  @Override
  public void privacy(PrivacyReport report) {
    privacyEpsilon.labels(String.format(java.util.Locale.ROOT, "%g", report.delta())).set(report.epsilon());
    privacyBudget.set(report.budgetEpsilon() == null ? Double.POSITIVE_INFINITY : report.budgetEpsilon());
  }

  @Override
  public void searchHealth(SearchHealth h) {
    for (CellType cell : CellType.values()) {
      entropy.labels(cell.key()).set(h.entropy().get(cell));
      argmaxChanges.labels(cell.key()).set(h.argmaxChanges().get(cell));
    }
    updateNorm.labels("weights").set(h.weightUpdateNorm());
    updateNorm.labels("logits").set(h.logitUpdateNorm());
    nodeAgreement.set(h.nodeAgreement());
  }

  @Override
  public void received(long n) {
    bytes.labels("in").inc(n);
  }

  @Override
  public void sent(long n) {
    bytes.labels("out").inc(n);
  }

  @Override
  public void accessRefused(SecurityAudit.Kind kind) {
    accessRefused.labels(kind.key()).inc();
  }

  private static String label(RoundPhase p) {
    return p.name().toLowerCase(Locale.ROOT);
  }
}
