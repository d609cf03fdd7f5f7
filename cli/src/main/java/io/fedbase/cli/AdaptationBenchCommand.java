package io.fedbase.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.FiniteDifferenceUpdate;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.MetaTrainer;
import io.fedbase.learn.MetaTrainingConfig;
import io.fedbase.learn.PairedStats;
import io.fedbase.learn.Schedule;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Devices;
import io.fedbase.supernet.ParameterInitializer;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench adaptation}: BASE's claim measured. Meta-trains a prior on some classes (or loads
 * one), then adapts it and a fresh supernet with uniform logits to the same held-out tasks, and
 * reports query accuracy per step count with paired 95% intervals. Prints one JSON line last.
 */
@Command(
    name = "adaptation",
    mixinStandardHelpOptions = true,
    description = "Prior vs. scratch on held-out tasks: query accuracy after N adaptation steps, paired per task.")
final class AdaptationBenchCommand implements Callable<Integer> {

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;

  @Option(names = "--train-data", defaultValue = "fashion-mnist", description = "Meta-training data (default: ${DEFAULT-VALUE}).")
  String trainData;

  @Option(names = "--train-classes", defaultValue = "0-5", description = "Meta-training classes (default: ${DEFAULT-VALUE}).")
  String trainClasses;

  @Option(names = "--test-data", defaultValue = "fashion-mnist:test", description = "Held-out data (default: ${DEFAULT-VALUE}).")
  String testData;

  @Option(names = "--test-classes", defaultValue = "6-9", description = "Held-out classes (default: ${DEFAULT-VALUE}).")
  String testClasses;

  @Option(names = "--prior", description = "Use this prior instead of meta-training one.")
  Path prior;

  @Option(names = "--rounds", defaultValue = "200", description = "Meta-rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--tasks-per-round", defaultValue = "4", description = "Tasks per meta-round (default: ${DEFAULT-VALUE}).")
  int tasksPerRound;

  @Option(names = "--meta-shots", defaultValue = "10", description = "Support shots of meta-training tasks (default: ${DEFAULT-VALUE}).")
  int metaShots;

  @Option(names = "--meta-queries", defaultValue = "5", description = "Query images per class of meta-training tasks (default: ${DEFAULT-VALUE}).")
  int metaQueries;

  @Option(names = "--tau", defaultValue = "1.0:0.3", description = "Temperature schedule of meta-training; held-out adaptation uses its end value (default: ${DEFAULT-VALUE}).")
  String tau;

  @Option(names = "--tasks", defaultValue = "200", description = "Held-out tasks (default: ${DEFAULT-VALUE}).")
  int tasks;

  @Option(names = "--shots", defaultValue = "5", description = "Support shots of held-out tasks (default: ${DEFAULT-VALUE}).")
  int shots;

  @Option(names = "--queries", defaultValue = "15", description = "Query images per class of held-out tasks (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--steps", defaultValue = "0,1,2,5,10,25,50", split = ",", description = "Step counts to evaluate at (default: ${DEFAULT-VALUE}).")
  int[] steps;

  @Option(names = "--ablations", description = "Also run prior weights with uniform logits, and fresh weights with the prior's logits.")
  boolean ablations;

  @Option(names = "--out", description = "Directory for the prior, results.json and results.md.")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
  String device;

  @Override
  public Integer call() throws Exception {
    SupernetSpec spec = supernet.spec();
    Supernet net = new Supernet(spec);
    Schedule tauSchedule = Schedule.parse(tau);
    float heldOutTau = (float) tauSchedule.at(rounds - 1, rounds);
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "adaptation");
    json.addProperty("spec", spec.toString());
    try (NDManager root = NDManager.newBaseManager(Devices.select(device))) {
      Bundle w;
      double metaSeconds = 0;
      if (prior != null) {
        w = BundleFiles.read(prior, BundleLayout.of(spec)).bundle();
      } else {
        ImageDataset train = DataOptions.load(trainData, trainClasses);
        TaskSpec metaTasks = new TaskSpec(spec.ways(), metaShots, metaQueries);
        MetaTrainingConfig config =
            new MetaTrainingConfig(rounds, tasksPerRound, metaTasks, inner.config(), tauSchedule, 0, seed);
        MetaTrainer trainer =
            new MetaTrainer(
                new InnerLoop(net, config.inner(), root),
                new TaskSampler(train, metaTasks, seed),
                FiniteDifferenceUpdate.defaults(),
                AggregationRule.weightedMean(),
                config);
        long t0 = System.nanoTime();
        try (Progress progress = Progress.start("meta-train", rounds)) {
          w =
              trainer.run(
                  ParameterInitializer.initialize(spec, seed),
                  0,
                  (r, p) ->
                      progress.update(
                          r.round(),
                          String.format(Locale.ROOT, "loss %.3f->%.3f acc %.3f", r.supportLossBefore(), r.supportLossAfter(), r.queryAccuracy())));
        }
        metaSeconds = (System.nanoTime() - t0) / 1e9;
        if (out != null) {
          BundleFiles.write(out.resolve("prior.fbb"), StoredBundle.parameters(w, spec, Map.of("rounds", Integer.toString(rounds))));
        }
      }
      json.addProperty("meta_train_seconds", metaSeconds);
      ImageDataset test = DataOptions.load(testData, testClasses);
      HeldOutComparison.Result result =
          HeldOutRun.compare(
              spec, w, test, new TaskSpec(spec.ways(), shots, queries), inner.config(), heldOutTau, tasks, steps, ablations, seed, root);
      String table = table(result);
      System.out.println(table);
      json.addProperty("held_out_tau", heldOutTau);
      json.addProperty("tasks", tasks);
      json.add("results", toJson(result));
      if (out != null) {
        Files.createDirectories(out);
        Files.writeString(out.resolve("results.md"), table);
        Files.writeString(out.resolve("results.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
      }
    }
    System.out.println(json);
    return 0;
  }

  static String table(HeldOutComparison.Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append("| steps |");
    for (HeldOutComparison.ArmResult a : r.arms()) {
      sb.append(' ').append(a.name()).append(" |");
    }
    sb.append(" prior - scratch [95% CI] |\n|---|");
    for (int i = 0; i <= r.arms().size(); i++) {
      sb.append("---|");
    }
    sb.append('\n');
    for (int c = 0; c < r.steps().length; c++) {
      sb.append("| ").append(r.steps()[c]).append(" |");
      for (HeldOutComparison.ArmResult a : r.arms()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", a.meanAt(c)));
      }
      PairedStats d = r.difference(0, 1, c);
      sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |%n", d.mean(), d.low(), d.high()));
    }
    sb.append("\nwall time:");
    for (HeldOutComparison.ArmResult a : r.arms()) {
      sb.append(String.format(Locale.ROOT, " %s %.1f s;", a.name(), a.seconds()));
    }
    return sb.append('\n').toString();
  }

  private static JsonArray toJson(HeldOutComparison.Result r) {
    JsonArray rows = new JsonArray();
    for (int c = 0; c < r.steps().length; c++) {
      JsonObject row = new JsonObject();
      row.addProperty("steps", r.steps()[c]);
      for (HeldOutComparison.ArmResult a : r.arms()) {
        row.addProperty(a.name().replace('-', '_') + "_accuracy", a.meanAt(c));
      }
      PairedStats d = r.difference(0, 1, c);
      row.addProperty("diff_mean", d.mean());
      row.addProperty("diff_ci_low", d.low());
      row.addProperty("diff_ci_high", d.high());
      rows.add(row);
    }
    JsonObject times = new JsonObject();
    for (HeldOutComparison.ArmResult a : r.arms()) {
      times.addProperty(a.name().replace('-', '_') + "_seconds", a.seconds());
    }
    rows.add(times);
    return rows;
  }
}
