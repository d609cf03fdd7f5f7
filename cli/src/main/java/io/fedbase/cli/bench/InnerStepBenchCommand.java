package io.fedbase.cli.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.ProcStatus;
import io.fedbase.cli.Progress;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.learn.AdaptationSession;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.StackedAdaptationSession;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.InputSignature;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.Task;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench inner-step}: time of one inner-loop step (Gumbel sample, forward, backward, both Adam
 * updates) and the JVM heap and process RSS as steps accumulate, to show memory stays flat.
 */
@Command(
    name = "inner-step",
    mixinStandardHelpOptions = true,
    description = "Time per inner-loop step of the supernet, and heap/RSS over many steps.")
public final class InnerStepBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin SupernetOptions supernet;

  @Option(names = "--input", defaultValue = "1x28x28", description = "Input signature CxHxW (default: ${DEFAULT-VALUE}).")
  String input;

  @Option(names = "--batch", defaultValue = "40", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--steps", defaultValue = "200", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "20", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--tasks-at-once",
      defaultValue = "1",
      description = "Tasks stepped together in one stacked pass, each on its own images; times are per pass and per task (default: ${DEFAULT-VALUE}).")
  int tasksAtOnce;

  @Option(names = "--memory-every", defaultValue = "0", description = "Sample heap and RSS every N steps; 0 = at start and end only.")
  int memoryEvery;

  @Mixin DeviceOption device;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    SupernetSpec spec = supernet.spec();
    InputSignature sig = InputSignature.parse(input);
    if (spec.stemFor(sig).isEmpty()) {
      spec = spec.withStemFor(sig);
    }
    Bundle w = ParameterInitializer.initialize(spec, 1);
    int ways = spec.ways();
    if (tasksAtOnce < 1) {
      throw new ParameterException(command.commandLine(), "--tasks-at-once must be at least 1, got " + tasksAtOnce);
    }
    SplittableRandom rng = new SplittableRandom(1);
    List<Task> tasks = new ArrayList<>();
    for (int t = 0; t < tasksAtOnce; t++) {
      tasks.add(randomTask(t, sig, ways, rng));
    }
    double[] ms = new double[steps];
    JsonArray memory = new JsonArray();
    try (NDManager root = device.newManager()) {
      InnerLoop loop = new InnerLoop(new Supernet(spec), InnerLoopConfig.defaults(), root);
      try (Stepper s = stepper(loop, w, tasks, sig);
          Progress progress = Progress.start("inner-step", warmup + steps)) {
        for (int i = 0; i < warmup; i++) {
          s.step();
          progress.update(i + 1, "warm-up");
        }
        memory.add(sample(warmup));
        for (int i = 0; i < steps; i++) {
          long t0 = System.nanoTime();
          s.step();
          ms[i] = (System.nanoTime() - t0) / 1e6;
          progress.update(warmup + i + 1, String.format(Locale.ROOT, "%.1f ms", ms[i]));
          if (memoryEvery > 0 && (i + 1) % memoryEvery == 0 && i + 1 < steps) {
            memory.add(sample(warmup + i + 1));
          }
        }
        memory.add(sample(warmup + steps));
      }
    }
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    long[] counts = spec.parameterCounts();
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "inner-step");
    json.addProperty("engine", "fedbase");
    json.addProperty("engine_version", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    json.addProperty("spec", spec.toString());
    json.addProperty("input", sig.toString());
    json.addProperty("ways", ways);
    json.addProperty("batch", batch);
    json.addProperty("steps", steps);
    // the engine's intra-op threads (libtorch's default, or -Dai.djl.pytorch.num_threads), not the core count
    json.addProperty("threads", JniUtils.getNumThreads());
    json.addProperty("interop_threads", JniUtils.getNumInteropThreads());
    json.addProperty("cpus", Runtime.getRuntime().availableProcessors());
    json.addProperty("ms_per_step_median", sorted[steps / 2]);
    json.addProperty("ms_per_step_mean", Arrays.stream(ms).average().orElse(Double.NaN));
    json.addProperty("ms_per_step_p90", sorted[(int) Math.min(steps - 1, Math.floor(steps * 0.9))]);
    json.addProperty("tasks_at_once", tasksAtOnce);
    // what one task's step costs when tasksAtOnce of them share a pass: the figure to compare across settings
    json.addProperty("ms_per_task_step_median", sorted[steps / 2] / tasksAtOnce);
    json.addProperty("weight_params", counts[0]);
    json.addProperty("logit_params", counts[1]);
    json.add("memory", memory);
    report.finish(json, null, null);
    return 0;
  }

  /** One timed unit: a step of one session, or one stacked step of all tasks; each reads its losses back, as a caller would. */
  private interface Stepper extends AutoCloseable {
    void step();

    @Override
    void close();
  }

  private static Stepper stepper(InnerLoop loop, Bundle w, List<Task> tasks, InputSignature sig) {
    if (tasks.size() == 1) {
      Task task = tasks.get(0);
      AdaptationSession session = loop.open(w, sig, 1f, 1);
      return new Stepper() {
        @Override
        public void step() {
          session.step(task.supportImages(), task.supportLabels(), sig, task.ways());
        }

        @Override
        public void close() {
          session.close();
        }
      };
    }
    long[] seeds = new long[tasks.size()];
    Arrays.setAll(seeds, i -> i + 1);
    StackedAdaptationSession session = loop.openStacked(w, tasks, 1f, seeds);
    return new Stepper() {
      @Override
      public void step() {
        session.advance();
        session.readBack();
      }

      @Override
      public void close() {
        session.close();
      }
    };
  }

  /** A task of {@code batch} Gaussian images with labels 0..ways-1 in turn (query set = support set). */
  private Task randomTask(int index, InputSignature sig, int ways, SplittableRandom rng) {
    int[] labels = new int[batch];
    float[] images = new float[batch * sig.size()];
    for (int i = 0; i < batch; i++) {
      labels[i] = i % ways;
    }
    for (int i = 0; i < images.length; i++) {
      images[i] = (float) rng.nextGaussian();
    }
    int[] classes = new int[ways];
    Arrays.setAll(classes, i -> i);
    return new Task(index, sig, ways, images, labels, images, labels, classes, new int[batch], new int[batch]);
  }

  /** Heap after a full GC and the process RSS, in MiB. */
  private static JsonObject sample(int step) throws IOException {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    JsonObject o = new JsonObject();
    o.addProperty("step", step);
    o.addProperty("heap_mib", (rt.totalMemory() - rt.freeMemory()) / 1048576.0);
    o.addProperty("rss_mib", ProcStatus.rssKib() / 1024.0);
    return o;
  }
}
