package io.fedbase.coordinator.strategy;

import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.round.RoundPlan;
import io.fedbase.coordinator.round.RoundSetup;
import io.fedbase.coordinator.round.RoundStrategy;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses an upload whose L2 norm is far beyond what the federation's nodes have been sending: more
 * than {@code ratio} times the median norm of the uploads merged in the last {@link #WINDOW_ROUNDS}
 * committed rounds, and never more than the round may move the prior ({@code maxRelativeChange}
 * times the prior's norm, the only yardstick before a round has committed). It needs no tuning:
 * the honest deltas of one federation lie within a small factor of each other, while a scaled or
 * garbage delta is orders of magnitude off. Refusing (not clipping) keeps such an upload out of the
 * manifest, and the round commits with the others.
 *
 * <p>Decorates the strategy that runs in the clear; securely aggregated uploads are masked, so
 * their norms say nothing, and private ones are clipped to their noise's bounds anyway.
 */
public final class OutlierGuard implements RoundStrategy {

  private static final Logger LOG = LoggerFactory.getLogger(OutlierGuard.class);

  /** Committed rounds whose uploads make up the yardstick. */
  static final int WINDOW_ROUNDS = 5;

  private final RoundStrategy inner;
  private final double ratio;
  private final double maxRelativeChange;
  /** The merged uploads' norms of the recent committed rounds, newest first. */
  private final Deque<double[]> recent = new ArrayDeque<>();
  /** The bound of the round being collected. */
  private double bound = Double.POSITIVE_INFINITY;

  /**
   * @param ratio how many times the recent median an upload's norm may be
   * @param maxRelativeChange the settings' bound on one round's change of the prior, relative to
   *     its norm; caps the bound
   */
  public OutlierGuard(RoundStrategy inner, double ratio, double maxRelativeChange) {
    this.inner = inner;
    this.ratio = ratio;
    this.maxRelativeChange = maxRelativeChange;
  }

  @Override
  public synchronized RoundPlan configure(RoundSetup setup) {
    bound = bound(setup.priorNorm());
    return inner.configure(setup);
  }

  /** The largest norm an upload of a round on a prior of norm {@code priorNorm} may have. */
  synchronized double bound(double priorNorm) {
    double cap = maxRelativeChange * priorNorm;
    double[] norms = recent.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
    return norms.length == 0 ? cap : Math.min(cap, ratio * median(norms));
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  @Override
  public synchronized UploadScales scales(StagedUpdate upload) throws UpdateRejectedException {
    UploadScales scales = inner.scales(upload);
    // measured as it would be merged: after the operator's clipping, if any
    double norm = Math.hypot(upload.weightNorm() * scales.weight(), upload.logitNorm() * scales.logit());
    if (norm > bound) {
      throw new UpdateRejectedException(
          UpdateRejectedException.Reason.NORM_TOO_LARGE,
          String.format(
              Locale.ROOT,
              "the upload's L2 norm %.4g is an outlier: at most %.4g this round (%s times the median of the uploads merged in the last %d rounds,"
                  + " and no more than the round may move the prior)",
              norm, bound, ratio, WINDOW_ROUNDS));
    }
    return scales;
  }

  @Override
  public Aggregate aggregate(RoundResult result) throws IOException {
    return inner.aggregate(result);
  }

  @Override
  public synchronized void committed(RoundResult result, Aggregate.Delta aggregate) {
    remember(result.uploads());
    inner.committed(result, aggregate);
  }

  private void remember(List<CommitManifest.Upload> uploads) {
    if (uploads.isEmpty()) {
      return;
    }
    recent.addFirst(mergedNorms(uploads));
    while (recent.size() > WINDOW_ROUNDS) {
      recent.removeLast();
    }
  }

  /** The norms the uploads were merged with (after any clipping). */
  private static double[] mergedNorms(List<CommitManifest.Upload> uploads) {
    return uploads.stream().mapToDouble(u -> Math.hypot(u.weightNorm() * u.weightScale(), u.logitNorm() * u.logitScale())).toArray();
  }

  /** Reads the yardstick back from the manifests of the newest committed rounds. */
  @Override
  public synchronized void restore(long version, CheckpointStore store) throws IOException {
    recent.clear();
    for (long v = version; v >= 1 && recent.size() < WINDOW_ROUNDS; v--) {
      Optional<CommitManifest> manifest = store.readManifest(v);
      if (manifest.isEmpty()) {
        break;
      }
      // oldest first, so the newest ends up first
      List<CommitManifest.Upload> uploads = manifest.get().uploads();
      if (!uploads.isEmpty()) {
        recent.addLast(mergedNorms(uploads));
      }
    }
    LOG.info("outlier guard: uploads may be at most {} times the median norm of the last {} committed rounds' ({} remembered)", ratio, WINDOW_ROUNDS, recent.size());
    inner.restore(version, store);
  }

  @Override
  public Optional<String> exhausted() {
    return inner.exhausted();
  }

  @Override
  public List<String> sample(List<String> connected) {
    return inner.sample(connected);
  }

  @Override
  public int minimumParticipants() {
    return inner.minimumParticipants();
  }

  @Override
  public Optional<PrivacyReport> privacy() {
    return inner.privacy();
  }

  @Override
  public String toString() {
    return inner + ", outliers beyond " + ratio + "x the recent median refused";
  }
}
