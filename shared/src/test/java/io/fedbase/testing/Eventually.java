package io.fedbase.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one way the tests wait for something that happens on another thread or in another process:
 * poll a probe until its value satisfies a condition. The timeout only stops a broken system from
 * hanging the suite; no outcome depends on how long the wait took.
 */
public final class Eventually {

  private static final long FIRST_PAUSE_MILLIS = 5;
  private static final long LONGEST_PAUSE_MILLIS = 100;

  private Eventually() {}

  /**
   * The first value of {@code probe} that satisfies {@code condition}.
   *
   * @param what what is awaited, for the failure message
   * @throws AssertionError naming {@code what} and the last value, after {@code timeout}
   */
  public static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> condition) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_PAUSE_MILLIS;
    while (true) {
      T value = probe.get();
      if (condition.test(value)) {
        return value;
      }
      if (System.nanoTime() > end) {
        throw new AssertionError(what + " did not happen within " + timeout.toSeconds() + " s; last seen: " + value);
      }
      Thread.sleep(pause);
      pause = Math.min(LONGEST_PAUSE_MILLIS, pause * 2);
    }
  }

  /** Waits until {@code condition} holds; see {@link #await(String, Duration, Supplier, Predicate)}. */
  public static void until(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
    await(what, timeout, condition, Boolean.TRUE::equals);
  }
}
