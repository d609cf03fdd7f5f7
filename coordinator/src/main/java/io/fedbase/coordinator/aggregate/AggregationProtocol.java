package io.fedbase.coordinator.aggregate;

import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * How one round's uploads become its aggregate, in the clear or securely, behind one object (the
 * shape of federated-compute's {@code AggregationProtocol}). The round engine feeds it uploads and
 * the nodes' protocol messages; the protocol answers through its {@link Callback}: steps to relay,
 * timers it needs, and when its aggregate is ready or the round cannot finish. The engine never
 * asks which kind of protocol a round runs.
 *
 * <p>Called under the round engine's lock, like the callback it calls; only merges into its
 * aggregator run without it (serialized among themselves), so a protocol whose state those merges
 * touch guards that state itself.
 */
public interface AggregationProtocol extends AutoCloseable {

  /** What a protocol asks of the round engine. */
  interface Callback {
    /** Sends each node its step of the protocol (to nodes still connected). */
    void relay(Map<String, SecureStep> steps);

    /** Runs {@code action} after {@code delay}, under the engine's lock, if the round is still open then. */
    void schedule(Duration delay, Runnable action);

    /** Uploads may now arrive, or the set of expected uploaders shrank: check whether all are in. */
    void uploadersChanged();

    /** The aggregate is ready (or, without a quorum, will never be): conclude the round now. */
    void complete();

    /** The round cannot finish; the prior stays as it is. */
    void fail(String reason);
  }

  /** Starts the protocol as its round opens. */
  void start(Callback callback);

  /**
   * Checks that an upload {@code header} announces is of the form this protocol takes from its
   * node now, before any of its bytes are read.
   *
   * @param assignedTasks the node's assigned task count, the most its upload may report
   */
  void admit(UpdateHeaderFields header, int assignedTasks) throws UpdateRejectedException;

  /** Whether uploads are taken now (a secure round takes them only after the key exchange). */
  boolean acceptingUploads();

  /** The nodes whose uploads the round waits for, once uploads are taken. */
  Collection<String> expectedUploaders();

  /** Where admitted uploads are merged; the aggregate's result is read once the protocol completed. */
  RoundAggregator aggregator();

  /**
   * Takes a node's protocol message.
   *
   * @throws IllegalStateException when this protocol takes no messages (a round in the clear)
   * @throws SecAggException when the protocol refuses the message
   */
  void message(String nodeId, SecureMessage message) throws SecAggException;

  /**
   * The round stopped collecting uploads (every expected one arrived, or the deadline passed).
   * The protocol calls {@link Callback#complete()} at once or after its remaining steps, or
   * {@link Callback#fail}.
   *
   * @param quorumReached whether enough uploads arrived for a commit
   */
  void collectionEnded(boolean quorumReached);

  /** What {@code nodeId} was last sent, to send again when it reconnects mid-round. */
  Optional<SecureStep> lastRelayedTo(String nodeId);

  /** Deletes whatever the protocol keeps on disk; idempotent. */
  @Override
  void close();
}
