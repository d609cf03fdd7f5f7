package io.fedbase.cli.option;

import io.fedbase.learn.InnerLoop;
import picocli.CommandLine.Option;

/**
 * {@code --tasks-at-once} of every command that adapts a round's tasks: how many run in one stacked
 * pass (docs/GPU.md, "Tasks at once"). Where the work runs, not what it computes: the result agrees
 * with one task at a time up to float rounding, so it is a node's own choice and not part of the
 * round's settings.
 */
public final class TaskStackingOption {

  /** Beyond this a stack's activations outgrow any node's memory long before it pays. */
  static final int MAX = 64;

  @Option(
      names = "--tasks-at-once",
      defaultValue = "4",
      description = {
        "Tasks adapted together in one stacked pass, each with its own weights, optimiser state and draws; 1 = one after",
        "another. Memory grows with it: about 0.1 GB per task on the small profile, 1.3 GB on paper (default: ${DEFAULT-VALUE})."
      })
  public int tasksAtOnce = 4;

  /** The count, checked. */
  public int value() {
    if (tasksAtOnce < 1 || tasksAtOnce > MAX) {
      throw new IllegalArgumentException("--tasks-at-once must be between 1 and " + MAX + ", got " + tasksAtOnce);
    }
    return tasksAtOnce;
  }

  /** {@code loop} stacking this many tasks. */
  public InnerLoop applyTo(InnerLoop loop) {
    return loop.withTasksAtOnce(value());
  }
}
