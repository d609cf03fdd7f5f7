package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.cli.HeldOutRun;
import io.fedbase.cli.option.HeldOutOptions;
import io.fedbase.cli.option.InnerLoopOptions;
import io.fedbase.cli.option.SupernetOptions;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.encoding.WireRoundTrip;
import io.fedbase.learn.HeldOutComparison;
import io.fedbase.learn.PairedStats;
import io.fedbase.space.SupernetSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench encodings}: what a lossy upload encoding costs the prior. Meta-trains one prior per
 * encoding with every task's delta passed through that encoding (the same seeds, tasks and Gumbel
 * noise otherwise), adapts them all to the same held-out tasks and reports bytes per upload and
 * query accuracy, paired per task against float32. Prints one JSON line last.
 */
@Command(
    name = "encodings",
    mixinStandardHelpOptions = true,
    description = {
      "Upload encodings compared: bytes per upload and the accuracy of priors they give.",
      "Meta-trains one prior through each encoding and adapts each to the same held-out tasks."
    })
public final class EncodingsBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin SupernetOptions supernet;
  @Mixin InnerLoopOptions inner;
  @Mixin BenchMetaTrainingOptions metaTraining;
  @Mixin HeldOutOptions heldOut;
  @Mixin BenchRunOptions run;

  @Option(names = "--encodings", split = ",", defaultValue = "fp32,fp16,bf16,int8", description = "Encodings to compare; the first is the reference (default: ${DEFAULT-VALUE}).")
  List<String> encodingNames;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command)
        .inputData("meta-training data", metaTraining.trainData, metaTraining.trainClasses)
        .inputData("held-out data", heldOut.testData, heldOut.testClasses);
    List<DeltaEncoding> encodings = encodingNames.stream().map(DeltaEncoding::parse).toList();
    SupernetSpec spec = supernet.spec();
    BundleLayout layout = BundleLayout.of(spec);
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "encodings");
    json.addProperty("spec", spec.toString());
    json.addProperty("rounds", metaTraining.rounds);
    json.addProperty("tasks", heldOut.tasks);
    try (NDManager root = run.device.newManager()) {
      List<HeldOutComparison.Arm> arms = new ArrayList<>();
      List<Bundle> priors = new ArrayList<>();
      JsonArray perEncoding = new JsonArray();
      for (DeltaEncoding encoding : encodings) {
        long t0 = System.nanoTime();
        // the rounding seeds differ from the task seeds, and are the same for every encoding
        AggregationRule rule = WireRoundTrip.through(encoding, AggregationRule.weightedMean(), run.seed * 1_000_003L + 17);
        Bundle prior = metaTraining.train(spec, inner.config(), rule, run.seed, root, "meta-train " + encoding);
        priors.add(prior);
        arms.add(new HeldOutComparison.Arm(encoding.label(), t -> prior));
        JsonObject e = new JsonObject();
        e.addProperty("encoding", encoding.label());
        e.addProperty("upload_bytes", encoding.payloadBytes(layout));
        e.addProperty("bytes_vs_first", (double) encoding.payloadBytes(layout) / encodings.get(0).payloadBytes(layout));
        e.addProperty("meta_train_seconds", (System.nanoTime() - t0) / 1e9);
        e.addProperty("prior_distance_vs_first", relativeDistance(prior, priors.get(0)));
        perEncoding.add(e);
      }
      json.add("encodings", perEncoding);
      HeldOutComparison.Result result =
          HeldOutRun.run(
              spec, arms, heldOut.load(), heldOut.shape(spec.ways()), inner.config(), metaTraining.heldOutTau(), heldOut.tasks, heldOut.steps, run.seed, root);
      String table = table(encodings, layout, result);
      System.out.println(table);
      json.add("results", rows(result));
      report.finish(json, run.out, table);
    }
    return 0;
  }

  /** ‖a − b‖ / ‖b‖ over every value: how far rounding moved the prior from the reference one. */
  private static double relativeDistance(Bundle a, Bundle b) {
    double norm = b.norm();
    return norm == 0 ? 0 : a.minus(b).norm() / norm;
  }


  private static String table(List<DeltaEncoding> encodings, BundleLayout layout, HeldOutComparison.Result r) {
    StringBuilder sb = new StringBuilder("| encoding | bytes per upload | vs " + encodings.get(0) + " |\n|---|---|---|\n");
    for (DeltaEncoding e : encodings) {
      sb.append(String.format(Locale.ROOT, "| %s | %,d | %.3f |%n", e, e.payloadBytes(layout), (double) e.payloadBytes(layout) / encodings.get(0).payloadBytes(layout)));
    }
    sb.append("\n| steps |");
    for (DeltaEncoding e : encodings) {
      sb.append(' ').append(e).append(" |");
    }
    for (int a = 1; a < encodings.size(); a++) {
      sb.append(' ').append(encodings.get(a)).append(" − ").append(encodings.get(0)).append(" [95% CI] |");
    }
    sb.append("\n|---|").append("---|".repeat(2 * encodings.size() - 1)).append('\n');
    for (int c = 0; c < r.steps().length; c++) {
      sb.append("| ").append(r.steps()[c]).append(" |");
      for (HeldOutComparison.ArmResult arm : r.arms()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", arm.meanAt(c)));
      }
      for (int a = 1; a < encodings.size(); a++) {
        PairedStats d = r.difference(a, 0, c);
        sb.append(String.format(Locale.ROOT, " %+.3f [%+.3f, %+.3f] |", d.mean(), d.low(), d.high()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static JsonArray rows(HeldOutComparison.Result r) {
    JsonArray rows = new JsonArray();
    for (int c = 0; c < r.steps().length; c++) {
      JsonObject row = new JsonObject();
      row.addProperty("steps", r.steps()[c]);
      for (int a = 0; a < r.arms().size(); a++) {
        String name = r.arms().get(a).name();
        row.addProperty(name + "_accuracy", r.arms().get(a).meanAt(c));
        if (a > 0) {
          PairedStats d = r.difference(a, 0, c);
          row.addProperty(name + "_diff_mean", d.mean());
          row.addProperty(name + "_diff_ci_low", d.low());
          row.addProperty(name + "_diff_ci_high", d.high());
        }
      }
      rows.add(row);
    }
    return rows;
  }
}
