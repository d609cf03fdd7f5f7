package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.Progress;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.TaskStackingOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.MetaTrainer;
import io.fedbase.learn.MetaTrainingConfig;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Schedule;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How the benchmarks meta-train the prior they then adapt: data, rounds and task shape. */
public final class BenchMetaTrainingOptions {

  @Option(names = "--train-data", defaultValue = "fashion-mnist", description = "Meta-training data (default: ${DEFAULT-VALUE}).")
  String trainData;

  @Option(names = "--train-classes", defaultValue = "0-5", description = "Meta-training classes (default: ${DEFAULT-VALUE}).")
  String trainClasses;

  @Option(names = "--rounds", defaultValue = "200", description = "Meta-rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--tasks-per-round", defaultValue = "4", description = "Tasks per meta-round (default: ${DEFAULT-VALUE}).")
  int tasksPerRound;

  @Option(names = "--meta-shots", defaultValue = "10", description = "Support shots of meta-training tasks (default: ${DEFAULT-VALUE}).")
  int metaShots;

  @Option(names = "--meta-queries", defaultValue = "5", description = "Query images per class of meta-training tasks (default: ${DEFAULT-VALUE}).")
  int metaQueries;

  @Option(names = "--warmup-rounds", defaultValue = "0", description = "Meta-rounds at the start with frozen logits (default: ${DEFAULT-VALUE}).")
  int warmupRounds;

  @Mixin TaskStackingOption stacking;

  @Option(names = "--tau", defaultValue = "1.0:0.3", description = "Temperature schedule of meta-training; held-out adaptation uses its end value (default: ${DEFAULT-VALUE}).")
  String tau;

  /** The temperature held-out adaptation uses: where meta-training's schedule ended. */
  float heldOutTau() {
    return (float) Schedule.parse(tau).at(rounds - 1, rounds);
  }

  /** Meta-trains a prior from a fresh supernet, showing progress under {@code label}. */
  Bundle train(SupernetSpec spec, InnerLoopConfig inner, AggregationRule aggregation, long seed, NDManager root, String label) {
    ImageDataset train = DataOptions.load(trainData, trainClasses);
    TaskSpec metaTasks = new TaskSpec(spec.ways(), metaShots, metaQueries);
    MetaTrainingConfig config = new MetaTrainingConfig(rounds, tasksPerRound, metaTasks, inner, Schedule.parse(tau), warmupRounds, seed);
    MetaTrainer trainer =
        new MetaTrainer(
            stacking.applyTo(new InnerLoop(new Supernet(spec), config.inner(), root)),
            new TaskSampler(train, metaTasks, seed),
            FiniteDifferenceUpdate.defaults(),
            aggregation,
            config);
    try (Progress progress = Progress.start(label, rounds)) {
      return trainer.run(
          ParameterInitializer.initialize(spec, seed),
          0,
          (r, p) ->
              progress.update(
                  r.round(), String.format(Locale.ROOT, "loss %.3f->%.3f acc %.3f", r.supportLossBefore(), r.supportLossAfter(), r.queryAccuracy())));
    }
  }
}
