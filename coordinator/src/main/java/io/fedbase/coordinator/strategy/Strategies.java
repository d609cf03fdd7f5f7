package io.fedbase.coordinator.strategy;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundStrategy;

/** The strategy a federation's settings describe. */
public final class Strategies {

  private Strategies() {}

  /**
   * Secure or plain aggregation (a private federation takes every upload alike, so its plain rule
   * is the unweighted mean), inside differential privacy when it is on; uploads in the clear pass
   * the {@link OutlierGuard} unless it is turned off.
   */
  public static RoundStrategy of(FederationSettings settings, BundleLayout layout) {
    RoundStrategy base =
        settings.secureAggregation().isPresent()
            ? new SecureStrategy(layout, settings.secureAggregation().get(), settings.normBound(), settings.privacy())
            : new PlainStrategy(
                layout,
                settings.privacy().isPresent() ? AggregationMethod.unweightedMean() : settings.aggregation(),
                settings.normBound(),
                settings.acceptedEncodings());
    if (settings.privacy().isPresent()) {
      return new PrivateStrategy(base, settings.privacy().get());
    }
    boolean inTheClear = settings.secureAggregation().isEmpty();
    return inTheClear && Double.isFinite(settings.outlierRatio()) ? new OutlierGuard(base, settings.outlierRatio(), settings.maxRelativeChange()) : base;
  }
}
