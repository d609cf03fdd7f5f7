package io.fedbase.node.runtime;

import java.util.concurrent.Semaphore;

/**
 * Lets one adaptation run at a time in a JVM: DJL allows one GradientCollector per process and
 * PyTorch's grad mode is per thread, so in-process nodes (the demo, tests) must take turns.
 */
public final class TrainingGate {

  private final Semaphore permit = new Semaphore(1, true);

  /** Runs {@code work} while holding the gate. */
  public <T> T run(java.util.function.Supplier<T> work) throws InterruptedException {
    permit.acquire();
    try {
      return work.get();
    } finally {
      permit.release();
    }
  }
}
