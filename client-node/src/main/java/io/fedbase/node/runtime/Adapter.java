package io.fedbase.node.runtime;

import io.fedbase.bundle.Bundle;
import io.fedbase.learn.BatchResult;
import io.fedbase.space.SupernetSpec;
import io.fedbase.wire.Assignment;
import java.nio.file.Path;

/**
 * Where a node's adaptation runs: in the node's own process ({@link InProcessAdapter}), or in a
 * worker process the node outlives ({@code io.fedbase.node.worker.WorkerProcess}).
 */
public interface Adapter extends AutoCloseable {

  /**
   * Adapts {@code prior} (also on disk, verified, as {@code priorFile}) to the task's slice of this
   * node's task stream and returns the mean delta.
   *
   * @throws IllegalArgumentException or {@link IllegalStateException} when this node's data cannot
   *     serve the assignment or the adaptation diverged: the round is skipped
   * @throws AdapterFailure when the adaptation could not run at all (a worker crashed, timed out or
   *     is backing off): the round is skipped and the node takes the next one
   */
  BatchResult adapt(SupernetSpec spec, Assignment task, Bundle prior, Path priorFile) throws AdapterFailure, InterruptedException;

  /** Releases what the adapter holds (a worker process is stopped). */
  @Override
  default void close() {}
}
