package io.fedbase.cli;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long command: a live progress bar on a terminal, and on a pipe or CI log a plain
 * line at most every few seconds (a redrawn bar would fill the log with carriage returns).
 */
public final class Progress implements AutoCloseable {

  private static final long LINE_INTERVAL_NANOS = Duration.ofSeconds(5).toNanos();

  private final ProgressBar bar;
  private final PrintStream lines;
  private final String task;
  private final long max;
  private long lastLine;
  private long current;

  private Progress(String task, long max, boolean interactive, PrintStream err) {
    this.task = task;
    this.max = max;
    if (interactive) {
      this.bar =
          new ProgressBarBuilder()
              .setTaskName(task)
              .setInitialMax(max)
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(250)
              .showSpeed()
              .build();
      this.lines = null;
    } else {
      this.bar = null;
      this.lines = err;
    }
  }

  /** A bar when stderr is a terminal, periodic lines otherwise. */
  public static Progress start(String task, long max) {
    return new Progress(task, max, System.console() != null, System.err);
  }

  /** Moves to {@code value} of max, with a short status such as the current loss. */
  public void update(long value, String status) {
    current = value;
    if (bar != null) {
      bar.stepTo(value);
      bar.setExtraMessage(status);
      return;
    }
    long now = System.nanoTime();
    if (now - lastLine >= LINE_INTERVAL_NANOS || value >= max) {
      lastLine = now;
      lines.printf("%s %d/%d %s%n", task, value, max, status);
    }
  }

  public long current() {
    return current;
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
