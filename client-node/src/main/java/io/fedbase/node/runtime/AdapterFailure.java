package io.fedbase.node.runtime;

/** An adaptation that could not run; the node skips the round and goes on. */
public final class AdapterFailure extends Exception {

  /** What went wrong, for logs and metrics. */
  public enum Kind {
    /** The worker process died (a native crash, SIGKILL, out of memory). */
    CRASHED,
    /** The worker did not answer before the round's deadline and was stopped. */
    TIMED_OUT,
    /** The worker is backing off after crashes in a row. */
    BACKING_OFF
  }

  private final Kind kind;

  public AdapterFailure(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
