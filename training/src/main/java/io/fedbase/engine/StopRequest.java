package io.fedbase.engine;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process's request to stop, made once by a signal handler and seen by every training loop at
 * its next step ({@link EngineWork} throws {@link StoppedException}). Stopping this way ends the
 * current step instead of tearing the engine down under it: the JVM's exit unmaps libtorch's code
 * and frees its memory, so exiting while a thread is inside a step crashes the process.
 * Process-wide by nature, as signals are.
 */
public final class StopRequest {

  /** Why the process stops: the signal's name and the exit status it calls for (128 + number). */
  public record Reason(String signal, int exitStatus) {}

  private static final AtomicReference<Reason> REASON = new AtomicReference<>();
  private static final List<Runnable> LISTENERS = new CopyOnWriteArrayList<>();

  private StopRequest() {}

  /** Asks the process to stop; the first request wins and tells the listeners. Returns whether it was the first. */
  public static boolean request(Reason reason) {
    if (!REASON.compareAndSet(null, reason)) {
      return false;
    }
    for (Runnable listener : LISTENERS) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        // one listener's failure must not keep the others from stopping their part
        System.err.println("fedbase: a stop listener failed: " + e);
      }
    }
    return true;
  }

  public static boolean requested() {
    return REASON.get() != null;
  }

  public static Optional<Reason> reason() {
    return Optional.ofNullable(REASON.get());
  }

  /** Throws {@link StoppedException} once a stop was requested. */
  public static void throwIfRequested() {
    Reason r = REASON.get();
    if (r != null) {
      throw new StoppedException(r);
    }
  }

  /**
   * Runs {@code listener} when a stop is requested (at once if it already was); closing the
   * returned handle unregisters it.
   */
  public static AutoCloseable onRequest(Runnable listener) {
    LISTENERS.add(listener);
    if (requested()) {
      listener.run();
    }
    return () -> LISTENERS.remove(listener);
  }

  /** Forgets a request: for tests that stop and start again in one JVM. */
  public static void clearForTests() {
    REASON.set(null);
    LISTENERS.clear();
  }
}
