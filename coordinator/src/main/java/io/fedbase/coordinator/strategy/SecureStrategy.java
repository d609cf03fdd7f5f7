package io.fedbase.coordinator.strategy;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.privacy.PrivacySettings;
import io.fedbase.coordinator.round.RoundPlan;
import io.fedbase.coordinator.round.RoundSetup;
import io.fedbase.coordinator.round.RoundStrategy;
import io.fedbase.coordinator.secure.SecureAggregationSettings;
import io.fedbase.coordinator.secure.SecureProtocol;
import io.fedbase.privacy.GaussianMechanism;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.secagg.RoundConfig;
import io.fedbase.secagg.SecureTerms;
import java.io.IOException;
import java.util.Optional;

/**
 * Securely aggregated rounds: every connected node takes part in the key exchange, uploads its
 * clipped delta masked, and the coordinator learns only the survivors' mean. Needs two
 * participants at least, since one node's "sum" is its delta.
 */
public final class SecureStrategy implements RoundStrategy {

  private final BundleLayout layout;
  private final SecureAggregationSettings secure;
  private final NormBound bound;
  private final Optional<PrivacySettings> privacy;

  /**
   * @param privacy the federation's differential privacy, if any: its noise must fit in the ring
   */
  public SecureStrategy(BundleLayout layout, SecureAggregationSettings secure, NormBound bound, Optional<PrivacySettings> privacy) {
    this.layout = layout;
    this.secure = secure;
    this.bound = bound;
    this.privacy = privacy;
  }

  @Override
  public int minimumParticipants() {
    return 2;
  }

  @Override
  public RoundPlan configure(RoundSetup setup) {
    int n = setup.participants().size();
    RoundConfig config = new RoundConfig(setup.round(), setup.participants(), secure.thresholdFor(n), layout.totalSize(), ringClip(n));
    return RoundPlan.of(
        setup.assignments(Optional.of(new SecureTerms(config.threshold(), config.clip())), Optional.empty()),
        new SecureProtocol(config, layout, secure.stepTimeout()));
  }

  /**
   * The L2 bound of a round's ring: the configured one, or large enough for a private delta —
   * clipped to the sensitivity plus, in distributed mode, its noise share (whose norm stays below
   * σ_share · (√n + 6) but for a vanishing probability) — since clipping again would cut the noise
   * the guarantee counts on.
   */
  private float ringClip(int participants) {
    if (privacy.isEmpty()) {
      return secure.clip();
    }
    PrivacyTerms terms = privacy.get().nodeTerms(participants);
    double needed = GaussianMechanism.sensitivity(terms.weightClip(), terms.logitClip()) + terms.noiseStddev() * (Math.sqrt(layout.totalSize()) + 6);
    return (float) Math.max(secure.clip(), needed * 1.001);
  }

  @Override
  public UploadScales scales(StagedUpdate upload) throws UpdateRejectedException {
    return NormClipping.scales(bound, upload);
  }

  @Override
  public Aggregate aggregate(RoundResult result) throws IOException {
    return Aggregate.asIs(result);
  }

  @Override
  public String toString() {
    return "secure-sum";
  }
}
