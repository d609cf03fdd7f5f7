package io.fedbase.cli;

import io.fedbase.engine.EngineWork;
import io.fedbase.engine.StopRequest;
import java.time.Duration;
import java.util.List;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT for commands that use the engine. The JVM's own handler starts the exit at
 * once, and the exit unmaps libtorch while the training thread is still inside a step: a SIGSEGV.
 * Here a signal only requests the stop; the command ends its current step, closes the engine in
 * order and exits with 128 + the signal's number. A command that has not ended {@code grace} after
 * the signal is exited as soon as no thread is inside the engine.
 */
public final class StopSignals {

  private StopSignals() {}

  /** Replaces the JVM's handlers of SIGTERM and SIGINT for the rest of the process. */
  public static void install(Duration grace) {
    for (String name : List.of("TERM", "INT")) {
      Signal.handle(new Signal(name), signal -> onSignal(signal, grace));
    }
  }

  private static void onSignal(Signal signal, Duration grace) {
    StopRequest.Reason reason = new StopRequest.Reason("SIG" + signal.getName(), 128 + signal.getNumber());
    if (!StopRequest.request(reason)) {
      System.err.println("fedbase: " + reason.signal() + " again; already stopping after the current step");
      return;
    }
    System.err.println("fedbase: " + reason.signal() + " received; stopping after the current step");
    Thread watchdog = new Thread(() -> exitAfter(grace, reason), "fedbase-stop-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  /** The fallback for a command busy outside the engine: exit once the engine is idle. */
  private static void exitAfter(Duration grace, StopRequest.Reason reason) {
    try {
      Thread.sleep(grace.toMillis());
      System.err.println("fedbase: still running " + grace.toSeconds() + " s after " + reason.signal() + "; exiting");
      if (!EngineWork.awaitIdle(Duration.ofMinutes(1))) {
        System.err.println("fedbase: a thread is still inside the engine after a minute; exiting anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.exit(reason.exitStatus());
  }
}
