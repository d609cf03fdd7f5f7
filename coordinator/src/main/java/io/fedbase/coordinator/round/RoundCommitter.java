package io.fedbase.coordinator.round;

import io.fedbase.bundle.Bundle;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.store.Checkpoint;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a round whose collection ended into the next prior version, or into the reason it cannot
 * be one: the strategy's aggregate, the meta-update, the finiteness check, search health, then the
 * checkpoint on disk. Nothing changes unless the checkpoint was written.
 */
final class RoundCommitter {

  private static final Logger LOG = LoggerFactory.getLogger(RoundCommitter.class);

  private final SupernetSpec spec;
  private final FederationSettings settings;
  private final RoundStrategy strategy;
  private final MetaOptimizer optimizer;
  private final CheckpointStore store;
  private final RoundEvents events;

  RoundCommitter(
      SupernetSpec spec, FederationSettings settings, RoundStrategy strategy, MetaOptimizer optimizer, CheckpointStore store, RoundEvents events) {
    this.spec = spec;
    this.settings = settings;
    this.strategy = strategy;
    this.optimizer = optimizer;
    this.store = store;
    this.events = events;
  }

  /** What a commit attempt came to. */
  sealed interface Result {
    /** Version {@code outcome.priorVersion()} is on disk and is {@code prior}. */
    record Committed(Bundle prior, RoundOutcome outcome) implements Result {}

    /** Nothing was written; the prior stays. */
    record Failed(String reason) implements Result {}
  }

  /** Commits {@code round} on top of {@code prior} (version {@code version}), {@code seconds} after it opened. */
  Result commit(OpenRound round, Bundle prior, long version, double seconds) {
    long stepStart = System.nanoTime();
    RoundStrategy.RoundResult result;
    RoundStrategy.Aggregate aggregate;
    try {
      result = new RoundStrategy.RoundResult(round.number, round.aggregate, round.assignments.size(), round.uploads);
      aggregate = strategy.aggregate(result);
    } catch (IOException e) {
      LOG.error("round {}: cannot compute the round's aggregate, the prior is unchanged", round.number, e);
      return new Result.Failed("cannot compute the round's aggregate: " + e.getMessage());
    }
    if (aggregate instanceof RoundStrategy.Aggregate.Nothing nothing) {
      return new Result.Failed(nothing.reason());
    }
    RoundStrategy.Aggregate.Delta delta = (RoundStrategy.Aggregate.Delta) aggregate;
    int index = settings.scheduleIndex(version);
    Bundle next = optimizer.step(prior, delta.delta(), index, settings.scheduleRounds());
    events.metaUpdate((System.nanoTime() - stepStart) / 1e9);
    String bad = next.firstNonFiniteTensor();
    if (bad != null) {
      return new Result.Failed("the meta-update made " + bad + " non-finite; the prior is unchanged");
    }
    SearchHealth health = SearchHealth.of(spec, prior, next, round.aggregate.logitDeltas());
    // a private round is already bounded (every upload clipped to the bounds its noise is calibrated
    // to), and that noise may rightly move a small prior far: the guard is for rounds in the clear
    double change = Math.hypot(health.weightUpdateNorm(), health.logitUpdateNorm());
    double scale = Math.max(prior.norm(), Double.MIN_NORMAL);
    if (delta.privacy() == null && change > settings.maxRelativeChange() * scale) {
      return new Result.Failed(
          String.format(
              Locale.ROOT,
              "the meta-update would move the prior by %.4g, %.4g times its norm (at most %.4g): an outlier or an attack; the prior is unchanged",
              change, change / scale, settings.maxRelativeChange()));
    }
    Map<String, String> metadata = new TreeMap<>();
    metadata.put("optimizer", optimizer.toString());
    metadata.put("aggregation", delta.method());
    metadata.put("updates", Integer.toString(round.aggregate.updates()));
    metadata.putAll(delta.metadata());
    PrivacyReport report = delta.privacy();
    long writeStart = System.nanoTime();
    try {
      store.commit(
          new Checkpoint(version + 1, round.number, next),
          spec,
          metadata,
          new CommitManifest.Draft(round.number, version, delta.method(), optimizer.toString(), index, settings.scheduleRounds(), round.uploads, report));
      events.checkpoint((System.nanoTime() - writeStart) / 1e9, fileSize(store.priorFile(version + 1)), true);
    } catch (IOException e) {
      events.checkpoint((System.nanoTime() - writeStart) / 1e9, 0, false);
      LOG.error("round {}: cannot write the checkpoint, the prior is unchanged", round.number, e);
      return new Result.Failed("checkpoint write failed: " + e.getMessage());
    }
    strategy.committed(result, delta);
    events.searchHealth(health);
    if (report != null) {
      events.privacy(report);
      LOG.info("round={} privacy epsilon={} delta={} rounds={}", round.number, String.format("%.4f", report.epsilon()), report.delta(), report.rounds());
    }
    long tasks = round.aggregate.tasks();
    RoundOutcome outcome =
        new RoundOutcome(
            round.number,
            true,
            "",
            round.aggregate.updates(),
            tasks,
            version + 1,
            seconds,
            round.lossAfter / tasks,
            round.accuracy / tasks,
            health.weightUpdateNorm(),
            health.logitUpdateNorm());
    LOG.info(
        "round={} outcome=committed version={} updates={} tasks={} loss_after={} query_acc={} seconds={}",
        round.number,
        version + 1,
        outcome.acceptedUpdates(),
        tasks,
        String.format("%.3f", outcome.supportLossAfter()),
        String.format("%.3f", outcome.queryAccuracy()),
        String.format("%.1f", seconds));
    return new Result.Committed(next, outcome);
  }

  private static long fileSize(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
