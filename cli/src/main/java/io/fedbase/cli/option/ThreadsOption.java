package io.fedbase.cli.option;

import io.fedbase.engine.CpuBudget;
import io.fedbase.engine.EngineWork;
import io.fedbase.engine.ThreadTuner;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/**
 * {@code --threads} of every command that trains or evaluates with the engine. Mixed in under the
 * name {@value #MIXIN}; {@link FedbaseCli} applies it before the command runs, while the engine has
 * not started yet.
 */
public final class ThreadsOption {

  public static final String MIXIN = "threads";

  @Option(
      names = "--threads",
      defaultValue = "${env:FEDBASE_THREADS:-auto}",
      description = {
        "Engine threads per op: auto (tuned by timing steps, between 1 and the CPUs this process may use by its",
        "affinity mask and cgroup CPU quota) or a fixed count; env FEDBASE_THREADS (default: ${DEFAULT-VALUE})."
      })
  public String threads;

  /** Sets the engine's thread settings from this option and prints them as one line on {@code log}. */
  public void apply(PrintStream log) {
    CpuBudget budget = CpuBudget.detect();
    String pinned = System.getProperty("ai.djl.pytorch.num_threads");
    // a JVM started with -Dai.djl.pytorch.num_threads (the side-by-side benchmarks) keeps that count
    String value = pinned != null && threads.trim().equalsIgnoreCase("auto") ? pinned : threads;
    ThreadTuner tuner = tuner(value, budget);
    // read by the engine when it starts; an explicit -D on the command line wins
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(tuner.maxThreads()));
    // inter-op threads serve TorchScript graphs, which fedbase does not run: one is enough
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    EngineWork.useTuner(tuner);
     log.println("threads: " + value.trim() + ", " + budget.describe() + "; " + tuner.describe());
    if (!tuner.tunes() && tuner.maxThreads() > budget.cpus()) {
      log.println(
          "warning: --threads " + tuner.maxThreads() + " exceeds the " + budget.cpus()
              + " CPUs this process may use; every op then waits for threads that are not running");
    }
  }

  /** The tuner for a {@code --threads} value: "auto" or a count of at least 1. */
  public static ThreadTuner tuner(String value, CpuBudget budget) {
    String v = value.trim();
    if (v.equalsIgnoreCase("auto")) {
      return ThreadTuner.upTo(budget.cpus());
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--threads must be auto or a number of threads, got '" + FlagValue.shown(v) + "'");
    }
    if (n < 1 || n > 1024) {
      throw new IllegalArgumentException("--threads must be between 1 and 1024, got " + n);
    }
    return ThreadTuner.fixed(n);
  }

  private static void setIfAbsent(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }
}
