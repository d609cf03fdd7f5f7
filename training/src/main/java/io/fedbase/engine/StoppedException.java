package io.fedbase.engine;

/** Thrown at a step boundary after the process was asked to stop; nothing of the step is half-done. */
public final class StoppedException extends RuntimeException {

  private final StopRequest.Reason reason;
  private final String kept;

  public StoppedException(StopRequest.Reason reason) {
    this(reason, "");
  }

  private StoppedException(StopRequest.Reason reason, String kept) {
    super("stopped by " + reason.signal() + (kept.isEmpty() ? "" : "; kept " + kept));
    this.reason = reason;
    this.kept = kept;
  }

  public StopRequest.Reason reason() {
    return reason;
  }

  /** What the stopped command left on disk for the user ("" when it did not say). */
  public String kept() {
    return kept;
  }

  /** The same stop, saying what was kept (for the one line the command prints). */
  public StoppedException keeping(String what) {
    StoppedException e = new StoppedException(reason, what);
    e.setStackTrace(getStackTrace());
    return e;
  }
}
