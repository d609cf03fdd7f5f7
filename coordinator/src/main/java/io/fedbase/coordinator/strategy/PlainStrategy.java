package io.fedbase.coordinator.strategy;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.PlainProtocol;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.round.RoundPlan;
import io.fedbase.coordinator.round.RoundSetup;
import io.fedbase.coordinator.round.RoundStrategy;
import io.fedbase.encoding.DeltaEncoding;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Rounds aggregated in the clear: every connected node takes part, uploads in one of the accepted
 * encodings, and the round's delta is its {@link AggregationMethod} (the task-weighted mean, or a
 * robust rule) over the norm-bounded uploads.
 */
public final class PlainStrategy implements RoundStrategy {

  private final BundleLayout layout;
  private final AggregationMethod method;
  private final NormBound bound;
  private final Set<DeltaEncoding> encodings;

  public PlainStrategy(BundleLayout layout, AggregationMethod method, NormBound bound, Set<DeltaEncoding> encodings) {
    this.layout = layout;
    this.method = method;
    this.bound = bound;
    this.encodings = Set.copyOf(encodings);
  }

  @Override
  public RoundPlan configure(RoundSetup setup) {
    return RoundPlan.of(
        setup.assignments(Optional.empty(), Optional.empty()), new PlainProtocol(layout, encodings, setup.participants(), method.open(layout)));
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
    return method.toString();
  }
}
