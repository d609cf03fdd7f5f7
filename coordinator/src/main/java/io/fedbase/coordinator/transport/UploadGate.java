package io.fedbase.coordinator.transport;

import io.fedbase.meta.InvalidSettingException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * At most {@code permits} uploads stream their payload at once; the others wait, first come first
 * served, without their messages being read, so gRPC flow control keeps their bytes with the
 * sender. A burst of uploads then costs the coordinator one flow-control window per waiting
 * stream, not one delta.
 */
final class UploadGate {

  private final int permits;
  private final Deque<Runnable> waiting = new ArrayDeque<>();
  private int inUse;

  UploadGate(int permits) {
    if (permits < 1) {
      throw new InvalidSettingException("maxConcurrentUploads", "must be at least 1, got " + permits);
    }
    this.permits = permits;
  }

  /** Runs {@code onGranted} now if a permit is free, else when one is released. */
  void acquire(Runnable onGranted) {
    synchronized (this) {
      if (inUse >= permits) {
        waiting.addLast(onGranted);
        return;
      }
      inUse++;
    }
    onGranted.run();
  }

  /** Withdraws a request that has not been granted yet; a no-op once it has. */
  synchronized void withdraw(Runnable onGranted) {
    waiting.remove(onGranted);
  }

  /** Returns a permit, granting it to the longest waiter if any. */
  void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        inUse--;
        return;
      }
    }
    next.run();
  }

}
