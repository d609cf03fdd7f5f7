package io.fedbase.engine;

import ai.djl.pytorch.jni.JniUtils;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The door every training step and evaluation goes through. It refuses to start work once a stop
 * was requested, counts the threads inside the engine so a forced exit can wait for them, and
 * applies the {@link ThreadTuner}'s intra-op thread count on the calling thread (libtorch keeps the
 * count per thread, so each training thread must set it itself).
 */
public final class EngineWork {

  private static volatile ThreadTuner tuner;
  /** The count last applied on this thread; libtorch's own default until set. */
  private static final ThreadLocal<Integer> APPLIED = new ThreadLocal<>();
  private static final Object IDLE = new Object();
  private static int inside;

  private EngineWork() {}

  /** Tunes intra-op threads from now on (null: leave the engine's setting alone, the default). */
  public static void useTuner(ThreadTuner threads) {
    tuner = threads;
  }

  /** The tuner in use, if any. */
  public static ThreadTuner tuner() {
    return tuner;
  }

  /** A training step: timed for the tuner, run with its thread count. */
  public static <T> T step(Supplier<T> work) {
    ThreadTuner t = tuner;
    enter(t);
    long start = System.nanoTime();
    try {
      return work.get();
    } finally {
      if (t != null) {
        t.stepTook(System.nanoTime() - start);
      }
      leave();
    }
  }

  /** Other engine work (evaluation, prediction): refused after a stop request, not timed. */
  public static <T> T run(Supplier<T> work) {
    enter(tuner);
    try {
      return work.get();
    } finally {
      leave();
    }
  }

  /** Waits until no thread is inside the engine; false if that did not happen within {@code limit}. */
  public static boolean awaitIdle(Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    synchronized (IDLE) {
      while (inside > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(IDLE, left);
      }
      return true;
    }
  }

  private static void enter(ThreadTuner t) {
    synchronized (IDLE) {
      // checked under the lock, so a forced exit that saw the engine idle sees it stay idle
      StopRequest.throwIfRequested();
      inside++;
    }
    if (t != null) {
      try {
        apply(t.threads());
      } catch (RuntimeException e) {
        leave();
        throw e;
      }
    }
  }

  private static void apply(int threads) {
    Integer applied = APPLIED.get();
    if (applied == null || applied != threads) {
      JniUtils.setNumThreads(threads);
      APPLIED.set(threads);
    }
  }

  private static void leave() {
    synchronized (IDLE) {
      inside--;
      IDLE.notifyAll();
    }
  }
}
