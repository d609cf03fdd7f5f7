package io.fedbase.coordinator.round;

import io.fedbase.secagg.SecureStep;
import io.fedbase.wire.Assignment;

/**
 * A connected node's round stream. Called with the coordinator's lock held, so implementations
 * must not block (gRPC's onNext only queues).
 */
public interface RoundWatcher {

  /** This node is selected for a round. */
  void assigned(Assignment assignment);

  /** The next step of the secure round this node takes part in. */
  void secureStep(SecureStep step);

  /** Nothing new; the coordinator is alive and in {@code phase} of {@code round}. */
  void keepAlive(long round, RoundPhase phase, long priorVersion);

  /** The federation reached its target rounds; the stream ends and the node may exit. */
  void finished();

  /** The coordinator is shutting down (it may come back); the stream breaks so the node reconnects. */
  void shuttingDown();

  /** An operator removed this node; the stream ends with an error the node does not retry. */
  void removed(String message);

  /** Whether the node's credentials still stand (a revoked certificate ends its stream). */
  default boolean stillAuthorized() {
    return true;
  }
}
