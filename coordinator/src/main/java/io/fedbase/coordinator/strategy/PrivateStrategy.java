package io.fedbase.coordinator.strategy;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.privacy.PrivateAggregate;
import io.fedbase.coordinator.round.RoundPlan;
import io.fedbase.coordinator.round.RoundSetup;
import io.fedbase.coordinator.round.RoundStrategy;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.privacy.PrivacyLedger;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.wire.Assignment;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client-level differential privacy around another strategy: participants drawn by Poisson
 * sampling, every upload clipped to the bounds the noise is calibrated to, Gaussian noise on the
 * aggregate (central mode; in distributed mode the nodes add their shares), and a ledger of the
 * privacy spent that stops the federation before it exceeds its budget.
 *
 * <p>The inner strategy must weigh every upload alike (the sensitivity assumes it).
 */
public final class PrivateStrategy implements RoundStrategy {

  private static final Logger LOG = LoggerFactory.getLogger(PrivateStrategy.class);

  private final RoundStrategy inner;
  private final PrivacySettings dp;
  private final RandomGenerator noise = GaussianMechanism.noiseSource();
  private final SecureRandom sampling = new SecureRandom();
  /** What the current prior cost: every committed round in its ledger. */
  private volatile PrivacyReport report;

  public PrivateStrategy(RoundStrategy inner, PrivacySettings dp) {
    this.inner = inner;
    this.dp = dp;
    this.report = PrivacyReport.of(dp, PrivacyLedger.empty(), dp.noiseMultiplier(), dp.sampleRate());
  }

  @Override
  public Optional<String> exhausted() {
    if (dp.hasBudget() && report.ledger().wouldExceed(dp.budgetEpsilon(), dp.delta(), dp.sampleRate(), dp.noiseMultiplier())) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "the privacy budget: another round would take epsilon from %.4f above %.4f (delta %g)",
              report.epsilon(),
              dp.budgetEpsilon(),
              dp.delta()));
    }
    return inner.exhausted();
  }

  /**
   * Each connected node independently with the sampling rate (the Poisson sampling the accountant
   * assumes); every one of them at rate 1.
   */
  @Override
  public List<String> sample(List<String> connected) {
    List<String> candidates = inner.sample(connected);
    if (dp.sampleRate() >= 1) {
      return candidates;
    }
    List<String> drawn = new ArrayList<>();
    for (String node : candidates) {
      if (sampling.nextDouble() < dp.sampleRate()) {
        drawn.add(node);
      }
    }
    return drawn;
  }

  @Override
  public int minimumParticipants() {
    return inner.minimumParticipants();
  }

  /** The inner plan with the privacy terms in every assignment and noise added to its aggregate. */
  @Override
  public RoundPlan configure(RoundSetup setup) {
    RoundPlan plan = inner.configure(setup);
    Optional<PrivacyTerms> terms = Optional.of(dp.nodeTerms(setup.participants().size()));
    Map<String, Assignment> assignments = new LinkedHashMap<>();
    plan.assignments().forEach((node, a) -> assignments.put(node, a.withPrivacy(terms)));
    return new RoundPlan(assignments, plan.protocol(), new PrivateAggregate(plan.aggregator(), dp, noise));
  }

  /** The inner scales, then the clip the noise is calibrated to, whatever a node did. */
  @Override
  public UploadScales scales(StagedUpdate upload) throws UpdateRejectedException {
    UploadScales s = inner.scales(upload);
    NormBound clip = new NormBound(dp.weightClip(), dp.logitClip(), NormBound.Action.CLIP);
    return new UploadScales(
        s.weight() * clip.weightScale(upload.weightNorm() * s.weight()), s.logit() * clip.logitScale(upload.logitNorm() * s.logit()));
  }

  /** The inner aggregate with its privacy cost, unless committing it would break the budget. */
  @Override
  public Aggregate aggregate(RoundResult result) throws IOException {
    Aggregate a = inner.aggregate(result);
    if (!(a instanceof Aggregate.Delta delta)) {
      return a;
    }
    int uploaded = result.aggregator().updates();
    double sigma = dp.effectiveNoiseMultiplier(result.selected(), uploaded);
    PrivacyReport after = PrivacyReport.of(dp, report.ledger().plus(dp.sampleRate(), sigma), sigma, dp.sampleRate());
    if (after.budgetEpsilon() != null && after.epsilon() > after.budgetEpsilon()) {
      // distributed noise from fewer nodes than selected: releasing this round would break the budget
      return new Aggregate.Nothing(
          String.format(
              Locale.ROOT,
              "committing would take epsilon to %.4f, above the budget %.4f (only %d of %d nodes' noise shares arrived); the prior is unchanged",
              after.epsilon(), after.budgetEpsilon(), uploaded, result.selected()));
    }
    Map<String, String> metadata = new TreeMap<>(delta.metadata());
    metadata.putAll(metadata(after));
    return new Aggregate.Delta(delta.delta(), delta.method(), metadata, after);
  }

  @Override
  public void committed(RoundResult result, Aggregate.Delta aggregate) {
    report = aggregate.privacy();
    inner.committed(result, aggregate);
  }

  /** The privacy spent so far, from the newest manifest: a restart must not forget a round's cost. */
  @Override
  public void restore(long version, CheckpointStore store) throws IOException {
    Optional<PrivacyReport> last = version == 0 ? Optional.empty() : store.readManifest(version).map(CommitManifest::privacy);
    if (version > 0 && last.isEmpty()) {
      throw new IllegalStateException(
          "prior version " + version + " has no privacy record: it was trained without differential privacy, so no guarantee can be stated for it; start a private federation from a new state directory");
    }
    report = PrivacyReport.of(dp, last.map(PrivacyReport::ledger).orElse(PrivacyLedger.empty()), dp.noiseMultiplier(), dp.sampleRate());
    LOG.info("privacy: {} rounds so far, epsilon={} at delta={} (budget {})", report.rounds(), report.epsilon(), dp.delta(), dp.budgetEpsilon());
    inner.restore(version, store);
  }

  @Override
  public Optional<PrivacyReport> privacy() {
    return Optional.of(report);
  }

  /** The privacy cost written into the prior file itself, so whoever fetches the prior sees it. */
  private static Map<String, String> metadata(PrivacyReport r) {
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

  @Override
  public String toString() {
    return "dp-" + dp.mode().key() + "(" + inner + ")";
  }
}
