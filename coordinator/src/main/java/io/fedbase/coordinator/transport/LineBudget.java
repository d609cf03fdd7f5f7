package io.fedbase.coordinator.transport;

import java.time.Duration;
import java.time.Instant;

/**
 * How many lines of one kind a log may take per window of time: the first {@code perWindow} of a
 * window are written, the rest only counted, for one summary line when the window is over. A
 * window opens at the first line after the previous one ended, so a quiet log has none open.
 *
 * <p>Decisions take the time as an argument, so a test moves it by hand; not thread-safe (its
 * owner, {@link SecurityAudit}, holds a lock around it). Resilience4j's RateLimiter, already used by
 * nodes, reads System.nanoTime itself and would make the limit untestable without waiting a
 * minute.
 */
final class LineBudget {

  /** What to do with one more line. */
  enum Admission {
    WRITE,
    /** The first line this window suppresses: time to arrange for the summary. */
    SUPPRESS_FIRST,
    SUPPRESS
  }

  private final int perWindow;
  private final Duration window;
  /** When the open window started; null while none is open. */
  private Instant start;
  private int written;
  private int suppressed;

  LineBudget(int perWindow, Duration window) {
    if (perWindow < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("a budget needs at least one line per window and a positive window: " + perWindow + " per " + window);
    }
    this.perWindow = perWindow;
    this.window = window;
  }

  /**
   * Closes the open window if it is over at {@code now}; how many lines it suppressed, to be
   * summarised (0 when none was open, it is not over yet, or it suppressed nothing).
   */
  int endIfOver(Instant now) {
    if (start == null || now.isBefore(windowEnd())) {
      return 0;
    }
    int count = suppressed;
    start = null;
    written = 0;
    suppressed = 0;
    return count;
  }

  /** Whether one more line may be written at {@code now}; call {@link #endIfOver} first. */
  Admission admit(Instant now) {
    if (start == null) {
      start = now;
    }
    if (written < perWindow) {
      written++;
      return Admission.WRITE;
    }
    return suppressed++ == 0 ? Admission.SUPPRESS_FIRST : Admission.SUPPRESS;
  }

  /** When the open window ends; null while none is open. */
  Instant windowEnd() {
    return start == null ? null : start.plus(window);
  }
}
