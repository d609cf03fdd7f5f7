package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.cli.OutputDirectory;
import io.fedbase.cli.Progress;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.MetaUpdateOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.TaskStackingOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.engine.StoppedException;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.MetaTrainer;
import io.fedbase.learn.MetaTrainingConfig;
import io.fedbase.learn.MetaTrainingLog;
import io.fedbase.meta.MetaOptimizer;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code meta-train}: the BASE outer loop in one process, writing priors and a round log. */
@Command(
    name = "meta-train",
    mixinStandardHelpOptions = true,
    description = {
      "Meta-train a supernet prior on tasks from one dataset, in this process.",
      "The local reference of the federated outer loop: the same meta-update, without a coordinator.",
      "Writes prior-final.fbb (and prior-NNNNN.fbb every --save-every rounds), rounds.jsonl and genotype.json to --out."
    })
public final class MetaTrainCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin DataOptions data;
  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;
  @Mixin MetaUpdateOptions meta;

  @Option(names = "--rounds", required = true, description = "Meta-rounds R.")
  int rounds;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Option(names = "--tasks-per-round", defaultValue = "4", description = "Tasks B per round (default: ${DEFAULT-VALUE}).")
  int tasksPerRound;

  @Option(names = "--shots", defaultValue = "5", description = "Support images per class (default: ${DEFAULT-VALUE}).")
  int shots;

  @Option(names = "--queries", defaultValue = "15", description = "Query images per class (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--save-every", defaultValue = "0", description = "Also save prior-NNNNN.fbb every N rounds; 0 = final only (default).")
  int saveEvery;

  @Option(names = "--init", description = "Start from this prior bundle instead of a fresh supernet.")
  Path init;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, task sampling and Gumbel noise (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin DeviceOption device;

  @Mixin TaskStackingOption stacking;

  @Override
  public Integer call() throws Exception {
    try (OutputDirectory output = OutputDirectory.of(out)) {
      metaTrain(output);
      output.keep();
    }
    return 0;
  }

  private void metaTrain(OutputDirectory output) throws Exception {
    ImageDataset dataset = data.load();
    SupernetSpec spec = supernet.spec();
    if (spec.stemFor(dataset.signature()).isEmpty()) {
      spec = spec.withStemFor(dataset.signature());
      System.err.println("note: the " + spec.profileName() + " profile has no stem for " + dataset.signature() + "; adding a default one");
    }
    Bundle start =
        init == null
            ? ParameterInitializer.initialize(spec, seed)
            : BundleFiles.read(init, BundleLayout.of(spec)).bundle();
    TaskSampler sampler = new TaskSampler(dataset, new TaskSpec(spec.ways(), shots, queries), seed);
    MetaTrainingConfig config =
        new MetaTrainingConfig(
            rounds, tasksPerRound, new TaskSpec(spec.ways(), shots, queries), inner.config(), meta.tau(), meta.warmupRounds, seed);
    MetaOptimizer optimizer = meta.optimizer();
    System.out.printf(
        Locale.ROOT,
        "meta-train: %s, %d rounds x %d tasks (%d-way %d-shot), data %s (%d images, classes %s)%n",
        spec,
        rounds,
        tasksPerRound,
        spec.ways(),
        shots,
        dataset.source(),
        dataset.size(),
        dataset.classes());
    Supernet net = new Supernet(spec);
    output.create();
    try (NDManager root = device.newManager();
        MetaTrainingLog log = MetaTrainingLog.create(out, spec, config, optimizer.toString());
        Progress progress = Progress.start("meta-train", rounds)) {
      MetaTrainer trainer =
          new MetaTrainer(stacking.applyTo(new InnerLoop(net, config.inner(), root)), sampler, optimizer, AggregationRule.weightedMean(), config);
      Bundle result;
      try {
        result =
          trainer.run(
              start,
              0,
              (record, prior) -> {
                log.round(record, prior, saveEvery > 0 && record.round() % saveEvery == 0);
                // the round log (and any saved prior) stays even if a later round fails
                output.keep();
                progress.update(
                    record.round(),
                    String.format(
                        Locale.ROOT,
                        "loss %.3f->%.3f acc %.3f tau %.2f",
                        record.supportLossBefore(),
                        record.supportLossAfter(),
                        record.queryAccuracy(),
                        record.tau()));
              });
      } catch (StoppedException e) {
        throw e.keeping(log.kept());
      }
      Path finalPrior = log.finish(result);
      System.out.println("prior: " + finalPrior);
      System.out.println("genotype: " + log.lastGenotype());
    }
  }
}
