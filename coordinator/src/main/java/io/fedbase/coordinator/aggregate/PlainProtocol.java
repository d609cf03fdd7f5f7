package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A round aggregated in the clear: every participant uploads its delta in one of the accepted
 * encodings, the aggregator folds it in, and the aggregate is ready when collection ends.
 */
public final class PlainProtocol implements AggregationProtocol {

  private final BundleLayout layout;
  private final Set<DeltaEncoding> acceptedEncodings;
  private final List<String> participants;
  private final RoundAggregator aggregator;
  private Callback callback;

  public PlainProtocol(BundleLayout layout, Set<DeltaEncoding> acceptedEncodings, List<String> participants, RoundAggregator aggregator) {
    this.layout = layout;
    this.acceptedEncodings = Set.copyOf(acceptedEncodings);
    this.participants = List.copyOf(participants);
    this.aggregator = aggregator;
  }

  @Override
  public void start(Callback callback) {
    this.callback = callback;
  }

  @Override
  public void admit(UpdateHeaderFields header, int assignedTasks) throws UpdateRejectedException {
    DeltaEncoding encoding =
        header.encoding()
            .filter(acceptedEncodings::contains)
            .orElseThrow(
                () ->
                    new UpdateRejectedException(
                        Reason.WRONG_SHAPE,
                        "unsupported update encoding; this federation accepts " + acceptedEncodings.stream().sorted().map(DeltaEncoding::label).toList()));
    long expected = encoding.payloadBytes(layout);
    if (header.payloadBytes() > expected) {
      throw new UpdateRejectedException(
          Reason.OVERSIZED, "declared payload of " + header.payloadBytes() + " bytes exceeds the model's " + expected + " in " + encoding);
    }
    if (header.payloadBytes() != expected) {
      throw new UpdateRejectedException(
          Reason.WRONG_SHAPE, "declared payload of " + header.payloadBytes() + " bytes, the model's delta has " + expected + " in " + encoding);
    }
    if (header.taskCount() < 1 || header.taskCount() > assignedTasks) {
      throw new UpdateRejectedException(Reason.WRONG_SHAPE, "task count " + header.taskCount() + " outside 1.." + assignedTasks + " (the assignment)");
    }
  }

  @Override
  public boolean acceptingUploads() {
    return true;
  }

  @Override
  public Collection<String> expectedUploaders() {
    return participants;
  }

  @Override
  public RoundAggregator aggregator() {
    return aggregator;
  }

  @Override
  public void message(String nodeId, SecureMessage message) {
    throw new IllegalStateException("the round is aggregated in the clear and takes no secure-aggregation messages");
  }

  @Override
  public void collectionEnded(boolean quorumReached) {
    callback.complete();
  }

  @Override
  public Optional<SecureStep> lastRelayedTo(String nodeId) {
    return Optional.empty();
  }

  @Override
  public void close() {
    aggregator.close();
  }

  @Override
  public String toString() {
    return aggregator.toString();
  }
}
