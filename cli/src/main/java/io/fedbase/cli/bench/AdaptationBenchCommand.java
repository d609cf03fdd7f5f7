package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.cli.HeldOutRun;
import io.fedbase.cli.option.HeldOutOptions;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.learn.PairedStats;
import io.fedbase.node.adapt.PriorTransfer;
import io.fedbase.space.SupernetSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench adaptation}: BASE's claim measured. Meta-trains a prior on some classes (or loads
 * one), then adapts it and a fresh supernet with uniform logits to the same held-out tasks, and
 * reports query accuracy per step count with paired 95% intervals. Prints one JSON line last.
 */
@Command(
    name = "adaptation",
    mixinStandardHelpOptions = true,
    description = "Prior vs. scratch on held-out tasks: query accuracy after N adaptation steps, paired per task.")
public final class AdaptationBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;

  @Mixin BenchMetaTrainingOptions metaTraining;
  @Mixin HeldOutOptions heldOut;
  @Mixin BenchRunOptions run;

  @Option(names = "--prior", description = "Use this prior instead of meta-training one.")
  Path prior;

  @Option(names = "--ablations", description = "Also run prior weights with uniform logits, and fresh weights with the prior's logits.")
  boolean ablations;

  @Option(
      names = "--arms",
      split = ",",
      description = "Exactly these arms instead, prior among them: prior, scratch, prior-weights, prior-logits.")
  List<String> arms;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    if (arms != null && ablations) {
      throw new IllegalArgumentException("--arms and --ablations both choose the arms: give one of them");
    }
    List<String> armNames = arms != null ? HeldOutRun.arms(arms) : HeldOutRun.arms(ablations);
    BenchReport report = BenchReport.start(command);
    SupernetSpec spec = supernet.spec();
    float heldOutTau = metaTraining.heldOutTau();
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "adaptation");
    json.addProperty("spec", spec.toString());
    if (prior != null) {
      report.inputFile("prior", prior);
    } else {
      report.inputData("meta-training data", metaTraining.trainData, metaTraining.trainClasses);
    }
    report.inputData("held-out data", heldOut.testData, heldOut.testClasses);
    String table;
    try (NDManager root = run.device.newManager()) {
      Bundle w;
      if (prior != null) {
        w = BundleFiles.read(prior, BundleLayout.of(spec)).bundle();
        json.addProperty("prior", prior.toString());
      } else {
        long t0 = System.nanoTime();
        w = metaTraining.train(spec, inner.config(), AggregationRule.weightedMean(), run.seed, root, "meta-train");
        // only a prior meta-trained here has a meta-training time; a given one has none to report
        json.addProperty("meta_train_seconds", (System.nanoTime() - t0) / 1e9);
        if (run.out != null) {
          Files.createDirectories(run.out);
          BundleFiles.write(run.out.resolve("prior.fbb"), StoredBundle.parameters(w, spec, Map.of("rounds", Integer.toString(metaTraining.rounds))));
          json.addProperty("prior", run.out.resolve("prior.fbb").toString());
        }
      }
      ImageDataset heldOutData = heldOut.load();
      SupernetSpec heldOutSpec = spec;
      if (spec.stemFor(heldOutData.signature()).isEmpty()) {
        // what adapt does for such data: a fresh stem, BASE's per-input featurisation, in every arm
        PriorTransfer transfer = PriorTransfer.of(spec, w, heldOutData.signature(), spec.ways(), run.seed);
        heldOutSpec = transfer.spec();
        w = transfer.start();
        transfer.notes().forEach(n -> System.err.println("note: " + n));
        json.addProperty("fresh_stem", heldOutData.signature().toString());
      }
      HeldOutComparison.Result result =
          HeldOutRun.compare(
              heldOutSpec, w, heldOutData, heldOut.shape(spec.ways()), inner.config(), heldOutTau, heldOut.tasks, heldOut.steps, armNames, run.seed, root);
      table = HeldOutRun.table(result);
      System.out.println(table);
      json.addProperty("held_out_tau", heldOutTau);
      json.addProperty("tasks", heldOut.tasks);
      json.add("results", toJson(result));
    }
    report.finish(json, run.out, table);
    return 0;
  }

  /** prior − arm {@code other} at checkpoint {@code c} with its interval, if that arm ran. */
  private static void addDifference(JsonObject row, String key, HeldOutComparison.Result r, int other, int c) {
    if (other >= 0) {
      PairedStats d = r.difference(0, other, c);
      row.addProperty(key + "_mean", d.mean());
      row.addProperty(key + "_ci_low", d.low());
      row.addProperty(key + "_ci_high", d.high());
    }
  }

  private static JsonArray toJson(HeldOutComparison.Result r) {
    JsonArray rows = new JsonArray();
    for (int c = 0; c < r.steps().length; c++) {
      JsonObject row = new JsonObject();
      row.addProperty("steps", r.steps()[c]);
      for (HeldOutComparison.ArmResult a : r.arms()) {
        row.addProperty(a.name().replace('-', '_') + "_accuracy", a.meanAt(c));
      }
      addDifference(row, "diff", r, HeldOutRun.arm(r, HeldOutRun.SCRATCH), c);
      addDifference(row, "logits_diff", r, HeldOutRun.arm(r, HeldOutRun.UNIFORM_LOGITS), c);
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
