package io.fedbase.coordinator.privacy;

import io.fedbase.bundle.Bundle;
import io.fedbase.coordinator.aggregate.ForwardingAggregator;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.privacy.GaussianMechanism;
import java.io.IOException;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A differentially private round's aggregate: the unweighted mean of the clipped uploads (task
 * counts would let one node weigh more than its bound), plus, in central mode, Gaussian noise of
 * {@code σ · sensitivity} on the sum — {@code σ · sensitivity / k} on the mean of {@code k}
 * uploads. In distributed mode the nodes' noise shares are already in the uploads.
 */
public final class PrivateAggregate extends ForwardingAggregator {

  private final PrivacySettings privacy;
  private final RandomGenerator noise;

  /** {@code inner} must weigh every upload alike. */
  public PrivateAggregate(RoundAggregator inner, PrivacySettings privacy, RandomGenerator noise) {
    super(inner);
    this.privacy = privacy;
    this.noise = noise;
  }

  /** None: a single node's clipped delta is exactly what the noise is there to hide. */
  @Override
  public List<float[]> logitDeltas() {
    return List.of();
  }

  @Override
  public Bundle result() throws IOException {
    Bundle mean = inner().result();
    if (privacy.mode() == PrivacySettings.Mode.DISTRIBUTED) {
      return mean;
    }
    return GaussianMechanism.noised(mean, privacy.sumNoiseStddev() / inner().updates(), noise);
  }

  @Override
  public String toString() {
    return "dp-" + privacy.mode().key() + "(" + inner() + ")";
  }
}
