package io.fedbase.coordinator.secure;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.AggregationProtocol;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.secagg.RoundConfig;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecAggServer;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.wire.WireText;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A securely aggregated round (Bonawitz et al. 2017) as an {@link AggregationProtocol}: key
 * exchange, masked uploads, unmasking. Each step closes when every expected node answered or its
 * timeout passed; the coordinator only ever learns the survivors' sum.
 */
public final class SecureProtocol implements AggregationProtocol {

  private static final Logger LOG = LoggerFactory.getLogger(SecureProtocol.class);

  private final SecureRound round;
  private final BundleLayout layout;
  private final Duration stepTimeout;
  private final SecureAggregate aggregate;
  private Callback callback;

  public SecureProtocol(RoundConfig config, BundleLayout layout, Duration stepTimeout) {
    this.round = new SecureRound(config);
    this.layout = layout;
    this.stepTimeout = stepTimeout;
    this.aggregate = new SecureAggregate(round, layout);
  }

  /** The protocol state of the round, for tests and diagnostics. */
  public SecureRound state() {
    return round;
  }

  @Override
  public void start(Callback callback) {
    this.callback = callback;
    scheduleTimeout(SecAggServer.Phase.ADVERTISING);
  }

  /** A secure round takes only masked uploads of the whole model, once the keys are shared. */
  @Override
  public void admit(UpdateHeaderFields header, int assignedTasks) throws UpdateRejectedException {
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
    if (!round.acceptingUploads() || !round.uploaders().contains(header.nodeId())) {
      throw new UpdateRejectedException(
          Reason.WRONG_ROUND,
          "node '" + WireText.field(header.nodeId()) + "' may not upload in round " + header.round() + " now: the secure round is in step " + round.phase()
              + (round.uploaders().contains(header.nodeId()) ? "" : " and the node did not share its keys"));
    }
  }

  @Override
  public boolean acceptingUploads() {
    return round.acceptingUploads();
  }

  @Override
  public Collection<String> expectedUploaders() {
    return round.uploaders();
  }

  @Override
  public RoundAggregator aggregator() {
    return aggregate;
  }

  @Override
  public void message(String nodeId, SecureMessage message) throws SecAggException {
    boolean complete;
    if (message instanceof SecureMessage.Advertise a) {
      complete = round.advertise(nodeId, a.advertisement(), a.certificate());
    } else if (message instanceof SecureMessage.Share sh) {
      complete = round.share(nodeId, sh.shares());
    } else {
      complete = round.reveal(nodeId, ((SecureMessage.Reveal) message).response());
    }
    if (complete) {
      closeStep();
    }
  }

  /**
   * With a quorum of masked uploads, every node whose upload is in the sum is asked for the shares
   * that unmask it; the round completes once they answered or the step timed out.
   */
  @Override
  public void collectionEnded(boolean quorumReached) {
    if (!quorumReached) {
      callback.complete();
      return;
    }
    if (round.phase() != SecAggServer.Phase.MASKING) {
      callback.fail("secure aggregation did not reach the upload step (" + round.phase() + ") before the deadline");
      return;
    }
    try {
      callback.relay(round.closeMaskedInput());
      scheduleTimeout(SecAggServer.Phase.UNMASKING);
    } catch (SecAggException e) {
      callback.fail("secure aggregation failed: " + e.getMessage());
    }
  }

  @Override
  public Optional<SecureStep> lastRelayedTo(String nodeId) {
    return round.lastRelayedTo(nodeId);
  }

  @Override
  public void close() {
    aggregate.close();
  }

  @Override
  public String toString() {
    return aggregate.toString();
  }

  /** Closes {@code step} after the step timeout, if it is still open then. */
  private void scheduleTimeout(SecAggServer.Phase step) {
    callback.schedule(
        stepTimeout,
        () -> {
          if (round.phase() == step) {
            LOG.info("round={} secure step {} timed out; going on with the nodes that answered", round.config().round(), step);
            closeStep();
          }
        });
  }

  /** Ends the current step and relays what it produced; a failure fails the round. */
  private void closeStep() {
    SecAggServer.Phase step = round.phase();
    try {
      switch (step) {
        case ADVERTISING -> {
          callback.relay(round.closeAdvertising());
          scheduleTimeout(SecAggServer.Phase.SHARING);
        }
        case SHARING -> {
          callback.relay(round.closeSharing());
          // masked uploads now run until the round's deadline, or until every node that shared uploaded
          callback.uploadersChanged();
        }
        case UNMASKING -> callback.complete();
        default -> throw new IllegalStateException("secure step " + step + " does not close by message");
      }
    } catch (SecAggException e) {
      LOG.warn("round={} secure aggregation failed in step {}: {}", round.config().round(), step, e.getMessage());
      callback.fail("secure aggregation failed: " + e.getMessage());
    }
  }
}
