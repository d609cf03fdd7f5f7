package io.fedbase.node.runtime;

import io.fedbase.learn.BatchResult;

/** What a node reports while it runs (logs, progress, metrics). All methods have no-op defaults. */
public interface NodeListener {

  default void joined(String coordinator, long priorVersion) {}

  default void roundDone(RoundTask task, BatchResult result, double seconds) {}

  default void roundSkipped(RoundTask task, String reason) {}

  default void disconnected(String reason, long retryInMillis) {}

  /** The listener that ignores everything. */
  static NodeListener none() {
    return new NodeListener() {};
  }
}
