package io.fedbase.node.runtime;

import io.fedbase.learn.BatchResult;
import io.fedbase.wire.Assignment;

/** What a node reports while it runs (logs, progress, metrics). All methods have no-op defaults. */
public interface NodeListener {

  default void joined(String coordinator, long priorVersion) {}

  /** The engine that adapts this node's tasks started on {@code device}. */
  default void deviceSelected(TrainingDevice device) {}

  /** A round's update was accepted; adapting took {@code adaptSeconds}, the payload was {@code uploadBytes}. */
  default void roundDone(Assignment task, BatchResult result, double adaptSeconds, long uploadBytes) {}

  /** An upload is retried after the coordinator was briefly unreachable. */
  default void uploadRetried() {}

  default void roundSkipped(Assignment task, String reason) {}

  default void disconnected(String reason, long retryInMillis) {}

  /** A worker process started to run this node's adaptations. */
  default void workerStarted(long pid) {}

  /** The worker process died ({@code status}: its exit), the {@code inARow}-th time without a good round between. */
  default void workerCrashed(String status, int inARow) {}

  /** A worker finished a round well: crashes in a row are back to 0. */
  default void workerHealthy() {}

  /** Tells both listeners, {@code first} first. */
  static NodeListener both(NodeListener first, NodeListener second) {
    return new NodeListener() {
      @Override
      public void joined(String coordinator, long priorVersion) {
        first.joined(coordinator, priorVersion);
        second.joined(coordinator, priorVersion);
      }

      @Override
      public void roundDone(Assignment task, BatchResult result, double adaptSeconds, long uploadBytes) {
        first.roundDone(task, result, adaptSeconds, uploadBytes);
        second.roundDone(task, result, adaptSeconds, uploadBytes);
      }

      @Override
      public void uploadRetried() {
        first.uploadRetried();
        second.uploadRetried();
      }

      @Override
      public void roundSkipped(Assignment task, String reason) {
        first.roundSkipped(task, reason);
        second.roundSkipped(task, reason);
      }

      @Override
      public void disconnected(String reason, long retryInMillis) {
        first.disconnected(reason, retryInMillis);
        second.disconnected(reason, retryInMillis);
      }

      @Override
      public void workerStarted(long pid) {
        first.workerStarted(pid);
        second.workerStarted(pid);
      }

      @Override
      public void workerCrashed(String status, int inARow) {
        first.workerCrashed(status, inARow);
        second.workerCrashed(status, inARow);
      }

      @Override
      public void workerHealthy() {
        first.workerHealthy();
        second.workerHealthy();
      }
    };
  }

  /** The listener that ignores everything. */
  static NodeListener none() {
    return new NodeListener() {};
  }
}
